import Crypto
import X509
import _CryptoExtras

/// Checks a signature the card made against the certificate of its key, before anyone sees it.
public enum SignatureCheck {
    /// Whether `signature` is the RSA PKCS#1 v1.5 signature of `digestInfo` by the key of the
    /// DER certificate `certificate`. False for anything that cannot be checked (not RSA, a
    /// certificate that does not parse).
    public static func isValid(_ signature: [UInt8], for digestInfo: DigestInfo, certificate: [UInt8]) -> Bool {
        guard let parsed = try? Certificate(derEncoded: certificate),
            let key = _RSA.Signing.PublicKey(parsed.publicKey)
        else { return false }
        let rsaSignature = _RSA.Signing.RSASignature(rawRepresentation: signature)
        switch digestInfo.algorithm {
        case .sha1:
            return check(key, rsaSignature, digestInfo.digest, as: Insecure.SHA1.self)
        case .sha256:
            return check(key, rsaSignature, digestInfo.digest, as: SHA256.self)
        case .sha384:
            return check(key, rsaSignature, digestInfo.digest, as: SHA384.self)
        case .sha512:
            return check(key, rsaSignature, digestInfo.digest, as: SHA512.self)
        }
    }

    /// Throws ``CardError/invalidSignature`` unless ``isValid(_:for:certificate:)``.
    public static func require(_ signature: [UInt8], for digestInfo: DigestInfo, certificate: [UInt8])
        throws(CardError)
    {
        guard isValid(signature, for: digestInfo, certificate: certificate) else { throw .invalidSignature }
    }

    private static func check<H: HashFunction>(
        _ key: _RSA.Signing.PublicKey, _ signature: _RSA.Signing.RSASignature, _ digest: [UInt8], as: H.Type
    ) -> Bool {
        guard let value = Self.digest(digest, as: H.self) else { return false }
        return key.isValidSignature(signature, for: value, padding: .insecurePKCS1v1_5)
    }

    /// A swift-crypto digest value holding `bytes`.
    ///
    /// swift-crypto only makes digests by hashing, and the card signs a digest computed
    /// elsewhere. Its digest types are plain byte storage, so the bytes are copied into one made
    /// by hashing nothing; reading them back must give `bytes` again, or there is no digest.
    static func digest<H: HashFunction>(_ bytes: [UInt8], as: H.Type) -> H.Digest? {
        guard bytes.count == H.Digest.byteCount else { return nil }
        var value = H.hash(data: [UInt8]())
        guard MemoryLayout<H.Digest>.size >= bytes.count else { return nil }
        withUnsafeMutableBytes(of: &value) { raw in raw.copyBytes(from: bytes) }
        return Array(value) == bytes ? value : nil
    }
}
