extension CertificateView {
    /// Which certificate (a key of ``CardView/certificates``, the `{slot}` of
    /// `GET .../certificates/{slot}`).
    ///
    /// An open set like `ErrorCode`: compare values (`slot == .authCA`), never strings. The wire
    /// form is `rawValue`; a slot this build does not know still decodes, and compares unequal to
    /// every known one.
    public struct Slot: RawRepresentable, Hashable, Sendable, Codable, CodingKeyRepresentable,
        CustomStringConvertible
    {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// 利用者証明用電子証明書, free to read.
        public static let auth = Slot(rawValue: "auth")
        /// The user-authentication CA certificate, free to read.
        public static let authCA = Slot(rawValue: "auth-ca")
        /// 署名用電子証明書: personal data, read only with the sign PIN; never in a reader view.
        public static let sign = Slot(rawValue: "sign")
        /// The digital-signature CA certificate, free to read.
        public static let signCA = Slot(rawValue: "sign-ca")

        /// The certificates a reader view carries (read without a PIN), in the order they are read.
        public static let inReaderView: [Slot] = [.auth, .authCA, .signCA]

        /// The order staff read certificates in: the citizen's own first, then the CA certificates.
        public static let displayOrder: [Slot] = [.auth, .sign, .authCA, .signCA]

        /// A CA certificate: citizens never renew it, so it has no renewal window to show.
        public var isCA: Bool { self == .authCA || self == .signCA }
    }
}
