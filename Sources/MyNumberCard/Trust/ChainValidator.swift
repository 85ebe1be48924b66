import FoundationEssentials
@_spi(FixedExpiryValidationTime) @_spi(DisableValidityCheck) import X509

/// Validates card certificates against the configured ``TrustAnchors`` with swift-certificates'
/// `Verifier`: the RFC 5280 policy at a given instant, plus the key usage the slot needs.
///
/// Only the anchors are roots. The card's CA certificates are offered as intermediates, never
/// trusted by themselves. Revocation is not checked (see ``TrustCode``).
public struct ChainValidator: Sendable {
    public let anchors: TrustAnchors

    public init(anchors: TrustAnchors) { self.anchors = anchors }

    /// The trust of `der`, used as `usage`, with `intermediates` (DER) to build the chain from.
    ///
    /// When the full check fails, the reason is found by checking again without the validity
    /// dates: no chain at all is ``TrustCode/untrustedIssuer``; a chain whose leaf has the wrong
    /// key usage is ``TrustCode/wrongKeyUsage``; otherwise a certificate of the chain is out of
    /// its validity period (``TrustCode/expired`` or ``TrustCode/notYetValid``).
    public func evaluate(
        _ der: [UInt8], usage: CertificateUsage, intermediates: [[UInt8]], at now: Date = Date()
    ) async -> TrustCode {
        guard anchors.isConfigured else { return .notChecked }
        guard let leaf = try? Certificate(derEncoded: der) else { return .untrustedIssuer }
        let roots = CertificateStore(anchors.certificates)
        let others = CertificateStore(intermediates.compactMap { try? Certificate(derEncoded: $0) })

        var full = Verifier(rootCertificates: roots) {
            RFC5280Policy(fixedExpiryValidationTime: now)
            KeyUsagePolicy(usage: usage)
        }
        if case .validCertificate = await full.validate(leaf: leaf, intermediates: others) { return .trusted }

        var structural = Verifier(rootCertificates: roots) { RFC5280Policy.withValidityCheckDisabled() }
        guard case .validCertificate(let chain) = await structural.validate(leaf: leaf, intermediates: others) else {
            return .untrustedIssuer
        }
        if !usage.allows(leaf) { return .wrongKeyUsage }
        if chain.contains(where: { now > $0.notValidAfter }) { return .expired }
        if chain.contains(where: { now < $0.notValidBefore }) { return .notYetValid }
        return .untrustedIssuer
    }

    /// The trust of every certificate a card summary holds, each with the card's CA
    /// certificates as possible intermediates. No card I/O: the certificates are already read.
    public func evaluate(card certificates: [CertificateSlot: [UInt8]], at now: Date = Date()) async
        -> [CertificateSlot: TrustCode]
    {
        let intermediates = [CertificateSlot.authCA, .signCA].compactMap { certificates[$0] }
        var result: [CertificateSlot: TrustCode] = [:]
        for (slot, der) in certificates {
            result[slot] = await evaluate(
                der, usage: CertificateUsage(slot: slot), intermediates: intermediates, at: now)
        }
        return result
    }
}
