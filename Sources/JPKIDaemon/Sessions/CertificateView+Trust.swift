import JPKIAPI
import MyNumberCard

extension CertificateView {
    /// The view with its trust code; revocation is never checked.
    func with(trust: TrustCode?) -> CertificateView {
        var view = self
        view.trust = trust.map(Trust.init)
        view.revocationChecked = trust.map { _ in false }
        return view
    }
}

extension Configuration {
    /// The anchors `trustAnchors` names: none when the directory is missing or empty; an
    /// unreadable or invalid PEM file is a configuration error.
    public func loadTrustAnchors() throws -> TrustAnchors {
        do {
            return try TrustAnchors.load(directory: trustAnchors)
        } catch {
            throw ConfigurationError(error.description)
        }
    }
}

extension Configuration {
    /// The genuine-card check's CA keys: the built-in ones plus `cvcKeys`, with the test ids that
    /// `cvcTestKeyIds` names allowed. A broken key file is an error (jpkid does not start).
    public func loadCVCAuthorities() throws -> CVCAuthorities {
        try CVCAuthorities.load(directory: cvcKeys, allowedTestIDs: Set(cvcTestKeyIds.compactMap(CVCKeyID.init(text:))))
    }
}
