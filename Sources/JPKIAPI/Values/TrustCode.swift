extension CertificateView {
    /// Where a certificate stands against the configured trust anchors (``CertificateView/trust``,
    /// ``AuthenticateResponse/trust``).
    ///
    /// An open set like `ErrorCode`: compare values, never strings; an unknown code still decodes.
    public struct Trust: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// Chains to a configured anchor, valid now, with the key usage its slot needs.
        public static let trusted = Trust(rawValue: "trusted")
        /// Does not chain to any configured anchor.
        public static let untrustedIssuer = Trust(rawValue: "untrusted_issuer")
        /// Chains to an anchor, but a certificate in the chain has expired.
        public static let expired = Trust(rawValue: "expired")
        /// Chains to an anchor, but a certificate in the chain is not valid yet.
        public static let notYetValid = Trust(rawValue: "not_yet_valid")
        /// A signature made with the card's key does not verify under the certificate.
        public static let badSignature = Trust(rawValue: "bad_signature")
        /// The certificate's key usage does not fit its slot.
        public static let wrongKeyUsage = Trust(rawValue: "wrong_key_usage")
        /// No trust anchors are configured: trust was not checked (not an error).
        public static let notChecked = Trust(rawValue: "not_checked")

        /// A code that means the certificate must not be relied on (expiry has its own findings).
        public var isUntrusted: Bool { [.untrustedIssuer, .wrongKeyUsage, .badSignature].contains(self) }
    }
}
