extension CardView {
    /// What kind of card is on the reader (``CardView/kind``).
    ///
    /// An open set like `ErrorCode`: compare values (`card.kind == .myNumberCard`), never strings.
    /// The wire form is `rawValue`; a kind this build does not know (from a newer daemon) still
    /// decodes, and compares unequal to every known one.
    public struct Kind: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A My Number card (個人番号カード).
        public static let myNumberCard = Kind(rawValue: "my_number_card")
        /// An old basic resident register card (住基カード).
        public static let jukiCard = Kind(rawValue: "juki_card")
        /// A JPKI application with another token label (a smartphone token, for example).
        public static let otherJPKIToken = Kind(rawValue: "other_jpki_token")
        /// The JPKI application selects but holds no JPKI token information.
        public static let nonJPKICard = Kind(rawValue: "non_jpki_card")
        /// The card refuses to select the JPKI application.
        public static let noJPKIApplication = Kind(rawValue: "no_jpki_application")
        /// The card is being read for the first time.
        public static let unknown = Kind(rawValue: "unknown")

        /// A card whose certificates and PINs jpkid reads: a My Number card or a JUKI card.
        public var isJPKICard: Bool { self == .myNumberCard || self == .jukiCard }
    }
}
