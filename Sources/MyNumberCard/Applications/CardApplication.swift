/// The applications (DFs) on a My Number card that jpkid talks to.
public enum CardApplication: String, Sendable, CaseIterable, Codable {
    /// 公的個人認証AP: certificates, keys, auth and sign PINs.
    case jpki
    /// 券面事項入力補助AP: my number and the four basic attributes, behind a 4-digit PIN.
    case cardText = "card-text"
    /// 共通カードAP (`…01 01 00`), where the 4-digit JUKI PIN that `juki` names is read. The
    /// raw value stays `juki` for the wire.
    case juki
    /// 住基AP (`…01 04 01`), with its own 4-digit PIN at 001C.
    case jukiAP = "juki-ap"
    /// 券面事項確認AP: the card face (photo, printed name, address, security code), PIN A or B.
    case cardFace = "card-face"

    /// The DF name used in SELECT by name.
    public var aid: [UInt8] {
        switch self {
        case .jpki: [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01]
        case .cardText: [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08]
        case .juki: [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x01, 0x00]
        case .jukiAP: [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x01]
        case .cardFace: [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x02]
        }
    }

    public var displayName: String {
        switch self {
        case .jpki: "JPKI application"
        case .cardText: "card text application"
        case .juki: "common card application"
        case .jukiAP: "JUKI application"
        case .cardFace: "card face application"
        }
    }
}

/// Elementary file identifiers used by jpkid.
public enum JPKIFile {
    /// Token information, 160 bytes: a 32-byte ASCII label padded with spaces, then token details.
    public static let tokenInfo: UInt16 = 0x0006
    public static let authCertificate: UInt16 = 0x000A
    public static let authCACertificate: UInt16 = 0x000B
    public static let signCertificate: UInt16 = 0x0001
    public static let signCACertificate: UInt16 = 0x0002
    public static let authPIN: UInt16 = 0x0018
    public static let signPIN: UInt16 = 0x001B
    public static let authKey: UInt16 = 0x0017
    public static let signKey: UInt16 = 0x001A
    /// Length of the token label at the start of EF 0006: detection reads only these bytes.
    public static let tokenLabelLength = 0x20
    /// Length of the whole token information file on a real card.
    public static let tokenInfoFileLength = 160
}

/// Files of the card text application.
public enum CardTextFile {
    public static let pin: UInt16 = 0x0011
    public static let myNumber: UInt16 = 0x0001
    public static let basicAttributes: UInt16 = 0x0002
}

/// Files of the common-card and JUKI applications: each has its own PIN at 001C.
public enum JUKIFile {
    public static let pin: UInt16 = 0x001C
}

/// The known token labels of EF 0006.
public enum TokenLabel {
    public static let myNumberCard = "JPKIAPICCTOKEN2"
    public static let jukiCard = "JPKIAPICCTOKEN"
    public static let smartphone = "JPKIAPGPSETOKEN"
}

/// What kind of card sits in the reader, told by SELECTing the JPKI AP and reading the label.
public enum CardKind: Sendable, Equatable, Codable {
    /// A My Number card (個人番号カード), label `JPKIAPICCTOKEN2`.
    case myNumberCard
    /// An old basic resident register card (住基カード), label `JPKIAPICCTOKEN`.
    case jukiCard
    /// A JPKI application with another label (for example a smartphone token).
    case otherJPKIToken(String)
    /// The JPKI application selects but holds no JPKI token information.
    case nonJPKI
    /// The card refuses to SELECT the JPKI application.
    case noJPKIApplication

    /// A stable string for APIs: `my_number_card`, `juki_card`, ...
    public var code: String {
        switch self {
        case .myNumberCard: "my_number_card"
        case .jukiCard: "juki_card"
        case .otherJPKIToken: "other_jpki_token"
        case .nonJPKI: "non_jpki_card"
        case .noJPKIApplication: "no_jpki_application"
        }
    }

    /// Whether certificates and PINs can be read from this card.
    public var isSupported: Bool {
        switch self {
        case .myNumberCard, .jukiCard: true
        default: false
        }
    }
}
