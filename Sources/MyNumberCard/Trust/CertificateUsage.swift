import SwiftASN1
import X509

/// What a card certificate is for, and the key usage that fits it.
public enum CertificateUsage: String, Sendable {
    /// 利用者証明用: logins. digitalSignature, and never nonRepudiation (a key that commits
    /// the holder to documents must not answer login challenges).
    case authentication
    /// 署名用: documents. nonRepudiation.
    case signature
    /// A CA certificate: keyCertSign.
    case certificateAuthority

    public init(slot: CertificateSlot) {
        switch slot {
        case .auth: self = .authentication
        case .sign: self = .signature
        case .authCA, .signCA: self = .certificateAuthority
        }
    }

    /// Whether `certificate`'s keyUsage extension fits this use. A certificate without one fits
    /// nothing: every JPKI certificate carries it.
    public func allows(_ certificate: Certificate) -> Bool {
        guard let usage = try? certificate.extensions.keyUsage else { return false }
        switch self {
        case .authentication: return usage.digitalSignature && !usage.nonRepudiation
        case .signature: return usage.nonRepudiation
        case .certificateAuthority: return usage.keyCertSign
        }
    }
}

/// The key-usage rule as a ``VerifierPolicy``: the leaf of the chain must fit `usage`.
public struct KeyUsagePolicy: VerifierPolicy, Sendable {
    public let usage: CertificateUsage
    public let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [.X509ExtensionID.keyUsage]

    public init(usage: CertificateUsage) { self.usage = usage }

    public mutating func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async
        -> PolicyEvaluationResult
    {
        let usage = self.usage
        return usage.allows(chain.leaf)
            ? .meetsPolicy : .failsToMeetPolicy(reason: "the leaf's key usage does not fit \(usage.rawValue)")
    }
}
