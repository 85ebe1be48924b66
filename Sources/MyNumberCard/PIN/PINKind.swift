/// The PINs of a My Number card: the ones a citizen sets, and the keys of the card-text and
/// card-face APs that take printed data (the my number; the birth date, expiry year and security
/// code; reference 5a, 5c). The order is the order a summary reads them in, one SELECT per
/// application.
///
/// The card-text AP's key `0012` is not here on purpose: it arrives blocked on every card and is
/// no citizen's PIN (reference 5a), so jpkid never reads it, shows it or counts a card locked for it.
public enum PINKind: String, Sendable, CaseIterable, Codable, Hashable {
    /// 利用者証明用電子証明書の暗証番号: 4 digits, 3 tries.
    case auth
    /// 署名用電子証明書の暗証番号: 6–16 of A–Z and 0–9 mixing both, 5 tries.
    case sign
    /// 券面事項入力補助用の暗証番号 (EF 0011): 4 digits, 3 tries.
    case cardText = "card-text"
    /// 券面事項入力補助AP PIN A (EF 0014): the 12-digit my number.
    case cardTextPINA = "card-text-a"
    /// 券面事項入力補助AP PIN B (EF 0015): 照合番号B (``VerificationCodeB``).
    case cardTextPINB = "card-text-b"
    /// 住民基本台帳用の暗証番号 as the common-card AP (共通カードAP, `…01 01 00`) holds it at
    /// EF 001C: 4 digits, 3 tries. The wire name `juki` keeps this meaning.
    case juki
    /// The JUKI AP's own PIN at EF 001C (住基AP, `…01 04 01`): a second key and counter that
    /// municipal pages present as the same 住民基本台帳用暗証番号 (reference 1).
    case jukiAP = "juki-ap"
    /// 券面AP key 0011: the birth date alone, `YYMMDD` with the Japanese era year.
    case cardFaceBirthDate = "card-face-birth-date"
    /// 券面AP PIN A (EF 0013): the 12-digit my number.
    case cardFacePINA = "card-face-a"
    /// 券面AP PIN B (EF 0012): 照合番号B (``VerificationCodeB``). Banking and smartphone apps check
    /// identity with it; it is the lock citizens most often cannot name.
    case cardFacePINB = "card-face-b"

    /// Tries before the PIN blocks; 0 for the keys whose maximum the card does not report (see
    /// ``knownMaxTries``).
    public var maxTries: Int { knownMaxTries ?? 0 }

    /// Tries before the PIN blocks, where known: the card reports only the tries left, and no
    /// source gives the maximum of the printed-data keys.
    public var knownMaxTries: Int? {
        switch self {
        case .sign: 5
        case .auth, .cardText, .juki, .jukiAP: 3
        case .cardTextPINA, .cardTextPINB, .cardFaceBirthDate, .cardFacePINA, .cardFacePINB: nil
        }
    }

    /// The application that holds the PIN.
    public var application: CardApplication {
        switch self {
        case .auth, .sign: .jpki
        case .cardText, .cardTextPINA, .cardTextPINB: .cardText
        case .juki: .juki
        case .jukiAP: .jukiAP
        case .cardFaceBirthDate, .cardFacePINA, .cardFacePINB: .cardFace
        }
    }

    /// The PIN's elementary file.
    public var fileID: UInt16 {
        switch self {
        case .auth: JPKIFile.authPIN
        case .sign: JPKIFile.signPIN
        case .cardText: CardTextFile.pin
        case .juki, .jukiAP: JUKIFile.pin
        case .cardTextPINA: CardTextFile.pinA
        case .cardTextPINB: CardTextFile.pinB
        case .cardFaceBirthDate: CardFaceFile.birthDatePIN
        case .cardFacePINA: CardFaceFile.pinA
        case .cardFacePINB: CardFaceFile.pinB
        }
    }

    /// A file in the PIN's application that this PIN opens and that is closed without it: READ
    /// BINARY of it (`Le = 1`) answers `69 82` once the PIN's security state is gone. Nil for the
    /// PINs that protect no readable file (auth, both JUKI PINs).
    public var securityCheckFile: UInt16? {
        switch self {
        case .sign: JPKIFile.signCertificate
        case .auth, .juki, .jukiAP: nil
        case .cardText, .cardTextPINA: CardTextFile.myNumber
        case .cardTextPINB: CardTextFile.basicAttributes
        case .cardFaceBirthDate: CardFaceFile.ageRecord
        case .cardFacePINA, .cardFacePINB: CardFaceFile.faceData
        }
    }

    /// Whether the PIN is one a citizen chose (and can forget), as against printed data.
    public var isChosenPIN: Bool {
        switch self {
        case .auth, .sign, .cardText, .juki, .jukiAP: true
        case .cardTextPINA, .cardTextPINB, .cardFaceBirthDate, .cardFacePINA, .cardFacePINB: false
        }
    }

    public var displayName: String {
        switch self {
        case .auth: "user authentication PIN"
        case .sign: "digital signature PIN"
        case .cardText: "card text PIN"
        case .juki: "JUKI PIN (common card application)"
        case .jukiAP: "JUKI PIN (JUKI application)"
        case .cardTextPINA: "card text PIN A (my number)"
        case .cardTextPINB: "card text PIN B (照合番号B: birth date, expiry year, security code)"
        case .cardFaceBirthDate: "card face birth-date key (birth date in the Japanese era)"
        case .cardFacePINA: "card face PIN A (my number)"
        case .cardFacePINB: "card face PIN B (照合番号B: birth date, expiry year, security code)"
        }
    }

    /// The format rule in words, for error messages and prompts.
    public var formatRule: String {
        switch self {
        case .sign: "6 to 16 characters of A-Z and 0-9, with at least one letter and one digit"
        case .cardTextPINA, .cardFacePINA: "the 12-digit my number, with its check digit"
        case .cardTextPINB, .cardFacePINB:
            "14 digits: birth date YYMMDD with the Japanese era year (1980-02-17 is Showa 55: 550217), "
                + "the card's expiry year YYYY and the 4-digit security code"
        case .cardFaceBirthDate:
            "6 digits: birth date YYMMDD with the Japanese era year (1980-02-17 is Showa 55: 550217)"
        case .auth, .cardText, .juki, .jukiAP: "exactly 4 digits"
        }
    }
}
