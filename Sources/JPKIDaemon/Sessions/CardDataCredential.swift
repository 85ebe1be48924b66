import JPKIAPI
import JapaneseCalendar
import MyNumberCard

/// What a card-data request presents to the card: one credential, as a raw value or, for
/// 照合番号B, as the three parts printed on the card (`birthDate`, `expiryYear`, `securityCode`),
/// from which ``VerificationCodeB`` writes the 14 digits with the Japanese era year.
///
/// Resolving it checks only which fields are given; the format checks run when the PIN is made,
/// inside ``ReaderSession/withPIN(_:making:cardId:insertion:_:)``, so they count like any PIN's.
struct CardDataCredential: Sendable {
    let kind: PINKind
    let make: @Sendable () throws -> PIN

    /// 照合番号B's parts as a request carries them.
    struct CodeBParts: Sendable {
        var birthDate: String?
        var expiryYear: Int?
        var securityCode: String?

        var isEmpty: Bool { birthDate == nil && expiryYear == nil && securityCode == nil }

        /// The PIN of `kind` these parts make. A part missing or a birth date that is not
        /// `YYYY-MM-DD` is a format error (nothing reaches the card).
        func pin(for kind: PINKind) throws -> PIN {
            guard let birthDate, let expiryYear, let securityCode else {
                throw APIError.badRequest("give birthDate, expiryYear and securityCode together")
            }
            guard let date = JapanDate(iso: birthDate) else {
                throw CardError.pinFormat(
                    kind, "birthDate must be a date YYYY-MM-DD (Gregorian; jpkid writes the era year)")
            }
            return try VerificationCodeB.pin(
                birthDate: date, expiryYear: expiryYear, securityCode: securityCode, for: kind)
        }
    }

    /// A PIN of `kind` from its raw value; the card-face birth-date key also takes the birth date
    /// as `YYYY-MM-DD` (Gregorian), whose era digits jpkid writes.
    static func pin(_ value: String, for kind: PINKind) throws -> PIN {
        guard kind == .cardFaceBirthDate, value.contains("-") else { return try PIN(value, for: kind) }
        guard let date = JapanDate(iso: value) else {
            throw CardError.pinFormat(kind, "the birth date must be YYYY-MM-DD, or the 6 era digits YYMMDD")
        }
        return try VerificationCodeB.birthDatePIN(date)
    }

    /// Exactly one of `values` (kind and raw value) and `parts` (as `partsKind`).
    static func one(
        _ values: [(PINKind, String?)], parts: CodeBParts, partsKind: PINKind, fieldNames: String
    ) throws -> CardDataCredential {
        let given = values.compactMap { kind, value in value.map { (kind, $0) } }
        switch (given.count, parts.isEmpty) {
        case (1, true):
            let (kind, value) = given[0]
            return CardDataCredential(kind: kind) { try PIN(value, for: kind) }
        case (0, false):
            return CardDataCredential(kind: partsKind) { try parts.pin(for: partsKind) }
        default:
            throw APIError.badRequest("give exactly one of \(fieldNames)")
        }
    }
}

extension CardTextRequest {
    /// `pin` (card-text PIN 0011), `pinA` (0014, the my number), `pinB` (0015, raw 14 digits) or
    /// `birthDate` + `expiryYear` + `securityCode` (0015).
    func credential() throws -> CardDataCredential {
        try CardDataCredential.one(
            [(.cardText, pin), (.cardTextPINA, pinA), (.cardTextPINB, pinB)],
            parts: .init(birthDate: birthDate, expiryYear: expiryYear, securityCode: securityCode),
            partsKind: .cardTextPINB, fieldNames: "pin, pinA, pinB and birthDate+expiryYear+securityCode")
    }
}

extension CardFaceRequest {
    /// `pinA` (0013, the my number), `pinB` (0012, raw 14 digits) or `birthDate` + `expiryYear` +
    /// `securityCode` (0012).
    func credential() throws -> CardDataCredential {
        try CardDataCredential.one(
            [(.cardFacePINA, pinA), (.cardFacePINB, pinB)],
            parts: .init(birthDate: birthDate, expiryYear: expiryYear, securityCode: securityCode),
            partsKind: .cardFacePINB, fieldNames: "pinA, pinB and birthDate+expiryYear+securityCode")
    }
}
