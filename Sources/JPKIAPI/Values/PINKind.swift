extension PINView {
    /// Which PIN (a key of ``CardView/pins``, the `{kind}` of `POST .../pins/{kind}/verify`).
    ///
    /// An open set like `ErrorCode`: compare values (`kind == .sign`), never strings. The wire form
    /// is `rawValue`; a kind this build does not know still decodes, and compares unequal to every
    /// known one.
    public struct Kind: RawRepresentable, Hashable, Sendable, Codable, CodingKeyRepresentable,
        CustomStringConvertible
    {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// 利用者証明用電子証明書の暗証番号: 4 digits, 3 tries.
        public static let auth = Kind(rawValue: "auth")
        /// 署名用電子証明書の暗証番号: 6–16 letters and digits, 5 tries.
        public static let sign = Kind(rawValue: "sign")
        /// 券面事項入力補助用の暗証番号: 4 digits, 3 tries.
        public static let cardText = Kind(rawValue: "card-text")
        /// 住民基本台帳用の暗証番号 as the common card application holds it.
        public static let juki = Kind(rawValue: "juki")
        /// The JUKI application's own JUKI PIN.
        public static let jukiAP = Kind(rawValue: "juki-ap")
        /// The card-text application's PIN A: the 12-digit my number.
        public static let cardTextPINA = Kind(rawValue: "card-text-a")
        /// The card-text application's PIN B: 照合番号B.
        public static let cardTextPINB = Kind(rawValue: "card-text-b")
        /// The card-face application's birth-date key (the birth date with the Japanese era year).
        public static let cardFaceBirthDate = Kind(rawValue: "card-face-birth-date")
        /// The card-face application's PIN A: the 12-digit my number.
        public static let cardFacePINA = Kind(rawValue: "card-face-a")
        /// The card-face application's PIN B: 照合番号B.
        public static let cardFacePINB = Kind(rawValue: "card-face-b")

        /// Every PIN a reader view can carry, in display order: the ones a citizen sets (the JUKI
        /// PIN twice: `juki` in the common card AP, `juki-ap` in the JUKI AP), then the card-data
        /// keys of the card-text and card-face APs.
        public static let displayOrder: [Kind] = [
            .auth, .sign, .cardText, .juki, .jukiAP, .cardTextPINA, .cardTextPINB, .cardFaceBirthDate, .cardFacePINA,
            .cardFacePINB,
        ]

        /// The keys the card-text and card-face applications take printed data with (the my
        /// number; 照合番号B; the birth date): no citizen chose them.
        public var isCardDataKey: Bool {
            [.cardTextPINA, .cardTextPINB, .cardFaceBirthDate, .cardFacePINA, .cardFacePINB].contains(self)
        }
    }
}
