/// Where a certificate stands against the configured trust anchors: a stable code.
///
/// Revocation is never part of it: JPKI's OCSP responder and CRLs are open only to verifiers
/// registered under the JPKI Act, so a result always carries `revocationChecked: false`.
public enum TrustCode: String, Sendable, Codable, CaseIterable {
    /// Chains to a configured anchor, valid now, with the key usage its slot needs.
    case trusted
    /// Does not chain to any configured anchor (another PKI, a forged or broken chain).
    case untrustedIssuer = "untrusted_issuer"
    /// Chains to an anchor, but a certificate in the chain has expired.
    case expired
    /// Chains to an anchor, but a certificate in the chain is not valid yet.
    case notYetValid = "not_yet_valid"
    /// A signature made with the card's key does not verify under the certificate.
    case badSignature = "bad_signature"
    /// The certificate's key usage does not fit its slot (an auth slot holding a signature
    /// certificate, or the other way round).
    case wrongKeyUsage = "wrong_key_usage"
    /// No trust anchors are configured: trust was not checked (not an error).
    case notChecked = "not_checked"
}
