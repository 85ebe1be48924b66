/// PIN A and PIN B of the card-text AP (reference 5a).
extension CardTextFile {
    public static let pinA: UInt16 = 0x0014
    public static let pinB: UInt16 = 0x0015
}

/// Files of the card-face AP (reference 5c).
public enum CardFaceFile {
    public static let pinA: UInt16 = 0x0013
    public static let pinB: UInt16 = 0x0012
    /// `FF 20`: images, birth date, sex, expiry.
    public static let faceData: UInt16 = 0x0002
}

extension PIN {
    /// PIN A: 12 digits with a valid my-number check digit. PIN B: 14 digits, YYMMDD (a real month
    /// and day), a year YYYY and a 4-digit code.
    static func isPrintedDataPIN(_ scalars: [Unicode.Scalar], _ kind: PINKind) -> Bool {
        guard scalars.allSatisfy({ ("0"..."9").contains($0) }) else { return false }
        let digits = scalars.map { Int($0.value) - 48 }
        switch kind {
        case .cardTextPINA, .cardFacePINA:
            return digits.count == 12 && MyNumber.checkDigit(of: digits.prefix(11)) == digits[11]
        case .cardTextPINB, .cardFacePINB:
            guard digits.count == 14 else { return false }
            let month = digits[2] * 10 + digits[3]
            let day = digits[4] * 10 + digits[5]
            return (1...12).contains(month) && (1...31).contains(day)
        default:
            return false
        }
    }
}

extension PIN {
    /// Whether two PINs carry the same value (after the sign PIN's upper-casing), without showing it.
    public func hasSameValue(as other: PIN) -> Bool {
        // Compared in place: no copy of either PIN is made.
        kind == other.kind && secret.withBytes { a in other.secret.withBytes { b in a.elementsEqual(b) } }
    }
}

extension PINKind {
    /// The counter after a right PIN: back at its maximum, or, for PIN A and PIN B whose maximum
    /// the card does not report, `verified` until the counter is read again.
    public var stateAfterRightPIN: PINStatus.State { knownMaxTries.map { .remaining($0) } ?? .verified }
}
