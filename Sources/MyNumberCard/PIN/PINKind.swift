/// The PINs of a My Number card: the four a citizen sets, and PIN A and PIN B of the card-text and
/// card-face APs (reference 5a, 5c), which are printed data (the my number; birth date, expiry year
/// and security code). The order is the order a summary reads them in, one SELECT per application.
public enum PINKind: String, Sendable, CaseIterable, Codable, Hashable {
    /// 利用者証明用電子証明書の暗証番号: 4 digits, 3 tries.
    case auth
    /// 署名用電子証明書の暗証番号: 6–16 of A–Z and 0–9 mixing both, 5 tries.
    case sign
    /// 券面事項入力補助用の暗証番号: 4 digits, 3 tries.
    case cardText = "card-text"
    /// 券面事項入力補助AP PIN A (EF 0014): the 12-digit my number.
    case cardTextPINA = "card-text-a"
    /// 券面事項入力補助AP PIN B (EF 0015): birth date YYMMDD, expiry year YYYY, security code.
    case cardTextPINB = "card-text-b"
    /// 住民基本台帳用の暗証番号: 4 digits, 3 tries.
    case juki
    /// 券面AP PIN A (EF 0013): the 12-digit my number.
    case cardFacePINA = "card-face-a"
    /// 券面AP PIN B (EF 0012): birth date YYMMDD, expiry year YYYY, security code. Banking and
    /// smartphone apps check identity with it; it is the lock citizens most often cannot name.
    case cardFacePINB = "card-face-b"

    /// Tries before the PIN blocks; 0 for PIN A and PIN B, whose maximum the card does not
    /// report (see ``knownMaxTries``).
    public var maxTries: Int { knownMaxTries ?? 0 }

    /// Tries before the PIN blocks, where known: the card reports only the tries left, and no
    /// source gives the maximum of PIN A and PIN B.
    public var knownMaxTries: Int? {
        switch self {
        case .sign: 5
        case .auth, .cardText, .juki: 3
        case .cardTextPINA, .cardTextPINB, .cardFacePINA, .cardFacePINB: nil
        }
    }

    /// The application that holds the PIN.
    public var application: CardApplication {
        switch self {
        case .auth, .sign: .jpki
        case .cardText, .cardTextPINA, .cardTextPINB: .cardText
        case .juki: .juki
        case .cardFacePINA, .cardFacePINB: .cardFace
        }
    }

    /// The PIN's elementary file.
    public var fileID: UInt16 {
        switch self {
        case .auth: JPKIFile.authPIN
        case .sign: JPKIFile.signPIN
        case .cardText: CardTextFile.pin
        case .juki: JUKIFile.pin
        case .cardTextPINA: CardTextFile.pinA
        case .cardTextPINB: CardTextFile.pinB
        case .cardFacePINA: CardFaceFile.pinA
        case .cardFacePINB: CardFaceFile.pinB
        }
    }

    public var displayName: String {
        switch self {
        case .auth: "user authentication PIN"
        case .sign: "digital signature PIN"
        case .cardText: "card text PIN"
        case .juki: "JUKI PIN"
        case .cardTextPINA: "card text PIN A (my number)"
        case .cardTextPINB: "card text PIN B (birth date, expiry year, security code)"
        case .cardFacePINA: "card face PIN A (my number)"
        case .cardFacePINB: "card face PIN B (birth date, expiry year, security code)"
        }
    }

    /// The format rule in words, for error messages and prompts.
    public var formatRule: String {
        switch self {
        case .sign: "6 to 16 characters of A-Z and 0-9, with at least one letter and one digit"
        case .cardTextPINA, .cardFacePINA: "the 12-digit my number, with its check digit"
        case .cardTextPINB, .cardFacePINB:
            "14 digits: birth date YYMMDD, the card's expiry year YYYY and the 4-digit security code"
        default: "exactly 4 digits"
        }
    }
}
