import JapaneseCalendar

/// 照合番号B, the 14-digit code of the card-face key `0012` and the card-text key `0015`
/// (reference 5a, 5c), and the 6-digit birth date of the card-face key `0011`, built from what is
/// printed on the card.
///
/// The birth date goes in **with its Japanese era year** (`YYMMDD`, era not sent): a holder born
/// 1980-02-17 (昭和55) has `550217`, and a Gregorian `800217` is a wrong code that burns a try.
/// Staff and apps type the birth date as a date; this type writes the digits, with the era table
/// of ``JapaneseEra``. Then the card's expiry year `YYYY` (Gregorian) and the 4-digit security code
/// printed on the card.
///
/// Every check is local: a code that could never be right is refused before any APDU.
public enum VerificationCodeB {
    /// The expiry years a card can carry today: My Number cards were first issued in 2016, and a
    /// card is valid at most ten years after its holder's birthday following issue.
    public static func plausibleExpiryYears(today: JapanDate = .today) -> ClosedRange<Int> {
        2016...(today.year + 11)
    }

    /// The 6 era digits of `birthDate` (`YYMMDD`). Throws for a date before Meiji, one in the
    /// future, or one whose era year has three digits.
    public static func birthDigits(_ birthDate: JapanDate, today: JapanDate = .today) throws(CardError) -> String {
        guard birthDate <= today else {
            throw .pinFormat(.cardFacePINB, "the birth date is in the future")
        }
        guard let digits = JapaneseEraDate(birthDate)?.yymmdd else {
            throw .pinFormat(.cardFacePINB, "the birth date has no two-digit Japanese era year (Meiji or later)")
        }
        return digits
    }

    /// The 14 digits: era birth date `YYMMDD`, expiry year `YYYY`, security code.
    public static func digits(
        birthDate: JapanDate, expiryYear: Int, securityCode: String, today: JapanDate = .today
    ) throws(CardError) -> String {
        let birth = try birthDigits(birthDate, today: today)
        let years = plausibleExpiryYears(today: today)
        guard years.contains(expiryYear) else {
            throw .pinFormat(
                .cardFacePINB,
                "the card's expiry year must be a year from \(years.lowerBound) to \(years.upperBound)")
        }
        let code = Array(securityCode.utf8)
        guard code.count == 4, code.allSatisfy({ (0x30...0x39).contains($0) }) else {
            throw .pinFormat(.cardFacePINB, "the security code is the 4 digits printed on the card")
        }
        return birth + String(expiryYear) + securityCode
    }

    /// 照合番号B as a ``PIN`` of `kind` (``PINKind/cardFacePINB`` or ``PINKind/cardTextPINB``).
    public static func pin(
        birthDate: JapanDate, expiryYear: Int, securityCode: String, for kind: PINKind = .cardFacePINB,
        today: JapanDate = .today
    ) throws(CardError) -> PIN {
        guard kind == .cardFacePINB || kind == .cardTextPINB else {
            throw .pinFormat(kind, "照合番号B is the card-face or card-text PIN B")
        }
        let value = try digits(
            birthDate: birthDate, expiryYear: expiryYear, securityCode: securityCode, today: today)
        return try PIN(value, for: kind, today: today)
    }

    /// The card-face key `0011` (birth date alone) as a ``PIN``.
    public static func birthDatePIN(_ birthDate: JapanDate, today: JapanDate = .today) throws(CardError) -> PIN {
        do {
            return try PIN(try birthDigits(birthDate, today: today), for: .cardFaceBirthDate, today: today)
        } catch .pinFormat(_, let rule) {
            throw .pinFormat(.cardFaceBirthDate, rule)
        }
    }

    /// Whether 14 raw digits are a possible 照合番号B: an era birth date that is not in the future,
    /// a plausible expiry year and a 4-digit code. The era cannot be told from the digits, so any
    /// era in which the date exists will do.
    static func isPlausible(_ digits: [Int], today: JapanDate) -> Bool {
        guard digits.count == 14 else { return false }
        guard isPlausibleBirth(Array(digits.prefix(6)), today: today) else { return false }
        let year = digits[6..<10].reduce(0) { $0 * 10 + $1 }
        return plausibleExpiryYears(today: today).contains(year)
    }

    /// Whether 6 raw digits are a birth date in some era, not in the future.
    static func isPlausibleBirth(_ digits: [Int], today: JapanDate) -> Bool {
        guard digits.count == 6 else { return false }
        let text = String(digits.map { Character(Unicode.Scalar(UInt8(48 + $0))) })
        return JapaneseEraDate.candidates(yymmdd: text).contains { $0 <= today }
    }
}
