/// The JPKI certificates on the card.
public enum CertificateSlot: String, Sendable, CaseIterable, Codable, Hashable {
    /// 利用者証明用電子証明書 (EF 000A), free to read.
    case auth
    /// The user-authentication CA certificate (EF 000B), free to read.
    case authCA = "auth-ca"
    /// 署名用電子証明書 (EF 0001), readable after the sign PIN.
    case sign
    /// The digital-signature CA certificate (EF 0002), free to read.
    case signCA = "sign-ca"

    /// The certificates readable without a PIN, in reading order.
    public static let free: [CertificateSlot] = [.auth, .authCA, .signCA]

    public var fileID: UInt16 {
        switch self {
        case .auth: JPKIFile.authCertificate
        case .authCA: JPKIFile.authCACertificate
        case .sign: JPKIFile.signCertificate
        case .signCA: JPKIFile.signCACertificate
        }
    }
}

/// The card's two private keys.
public enum SigningKey: String, Sendable, CaseIterable, Codable {
    /// The user-authentication key (EF 0017): signs login challenges; auth PIN.
    case auth
    /// The digital-signature key (EF 001A): signs documents; sign PIN.
    case sign

    public var pinKind: PINKind { self == .auth ? .auth : .sign }
    public var fileID: UInt16 { self == .auth ? JPKIFile.authKey : JPKIFile.signKey }
    public var certificateSlot: CertificateSlot { self == .auth ? .auth : .sign }
}

/// What one PIN-free pass over the card reads.
public struct CardSummary: Sendable, Equatable {
    public let kind: CardKind
    public let tokenLabel: String?
    /// DER bytes of the free certificates by slot (auth, auth CA, sign CA).
    public let certificates: [CertificateSlot: [UInt8]]
    /// All four PIN counters, in ``PINKind/allCases`` order; empty for an unsupported card.
    public let pins: [PINStatus]

    public init(kind: CardKind, tokenLabel: String?, certificates: [CertificateSlot: [UInt8]], pins: [PINStatus]) {
        self.kind = kind
        self.tokenLabel = tokenLabel
        self.certificates = certificates
        self.pins = pins
    }

    public func pin(_ kind: PINKind) -> PINStatus? { pins.first { $0.kind == kind } }
}
