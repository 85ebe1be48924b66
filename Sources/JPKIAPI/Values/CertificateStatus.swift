extension CertificateView {
    /// Where a certificate stands on the day it is viewed, in Japan time (``CertificateView/status``).
    ///
    /// An open set like `ErrorCode`: compare values, never strings; an unknown status still decodes.
    public struct Status: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let valid = Status(rawValue: "valid")
        /// Still valid, and inside the renewal window.
        public static let renewable = Status(rawValue: "renewable")
        public static let expired = Status(rawValue: "expired")
        public static let notYetValid = Status(rawValue: "not_yet_valid")
    }
}
