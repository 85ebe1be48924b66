/// The four PINs of a My Number card.
public enum PINKind: String, Sendable, CaseIterable, Codable, Hashable {
    /// 利用者証明用電子証明書の暗証番号: 4 digits, 3 tries.
    case auth
    /// 署名用電子証明書の暗証番号: 6–16 of A–Z and 0–9 mixing both, 5 tries.
    case sign
    /// 券面事項入力補助用の暗証番号: 4 digits, 3 tries.
    case cardText = "card-text"
    /// 住民基本台帳用の暗証番号: 4 digits, 3 tries.
    case juki

    /// Tries before the PIN blocks.
    public var maxTries: Int { self == .sign ? 5 : 3 }

    /// The application that holds the PIN.
    public var application: CardApplication {
        switch self {
        case .auth, .sign: .jpki
        case .cardText: .cardText
        case .juki: .juki
        }
    }

    /// The PIN's elementary file.
    public var fileID: UInt16 {
        switch self {
        case .auth: JPKIFile.authPIN
        case .sign: JPKIFile.signPIN
        case .cardText: CardTextFile.pin
        case .juki: JUKIFile.pin
        }
    }

    public var displayName: String {
        switch self {
        case .auth: "user authentication PIN"
        case .sign: "digital signature PIN"
        case .cardText: "card text PIN"
        case .juki: "JUKI PIN"
        }
    }

    /// The format rule in words, for error messages and prompts.
    public var formatRule: String {
        switch self {
        case .sign: "6 to 16 characters of A-Z and 0-9, with at least one letter and one digit"
        default: "exactly 4 digits"
        }
    }
}
