import JapaneseCalendar

/// PIN A and PIN B of the card-text AP (reference 5a).
extension CardTextFile {
    public static let pinA: UInt16 = 0x0014
    public static let pinB: UInt16 = 0x0015
}

/// Files of the card-face AP (reference 5c).
public enum CardFaceFile {
    /// The birth date alone (era `YYMMDD`): opens EF 0001 only.
    public static let birthDatePIN: UInt16 = 0x0011
    /// 照合番号A (the my number): opens 0002, 0003, 0004, 0005, 0006.
    public static let pinA: UInt16 = 0x0013
    /// 照合番号B: opens 0002, 0003, 0004, 0006.
    public static let pinB: UInt16 = 0x0012
    /// The age record, behind the birth-date key.
    public static let ageRecord: UInt16 = 0x0001
    /// `FF 20`: images, birth date, sex, expiry.
    public static let faceData: UInt16 = 0x0002
}

extension PIN {
    /// PIN A: 12 digits with a valid my-number check digit. PIN B: 14 digits, an era birth date
    /// `YYMMDD` not after `today`, a plausible expiry year `YYYY` and a 4-digit code. The
    /// birth-date key: the 6 era digits alone.
    static func isPrintedDataPIN(_ scalars: [Unicode.Scalar], _ kind: PINKind, today: JapanDate) -> Bool {
        guard scalars.allSatisfy({ ("0"..."9").contains($0) }) else { return false }
        let digits = scalars.map { Int($0.value) - 48 }
        switch kind {
        case .cardTextPINA, .cardFacePINA:
            return digits.count == 12 && MyNumber.checkDigit(of: digits.prefix(11)) == digits[11]
        case .cardTextPINB, .cardFacePINB:
            return VerificationCodeB.isPlausible(digits, today: today)
        case .cardFaceBirthDate:
            return VerificationCodeB.isPlausibleBirth(digits, today: today)
        default:
            return false
        }
    }
}

extension PIN {
    /// Whether two PINs carry the same value (after the sign PIN's upper-casing), without showing it.
    public func hasSameValue(as other: PIN) -> Bool {
        kind == other.kind && secret.hasSameBytes(as: other.secret)
    }
}

extension PINKind {
    /// The counter after a right PIN: back at its maximum, or, for PIN A and PIN B whose maximum
    /// the card does not report, `verified` until the counter is read again.
    public var stateAfterRightPIN: PINStatus.State { knownMaxTries.map { .remaining($0) } ?? .verified }
}
