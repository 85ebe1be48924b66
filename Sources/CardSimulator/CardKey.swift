import COpenSSL
import Foundation

/// An RSA private key that signs a DigestInfo the way the card does: PKCS#1 v1.5 type 1
/// padding over exactly the bytes given, no hashing (OpenSSL `EVP_PKEY_sign` with no digest set).
final class CardKey: @unchecked Sendable {
    // @unchecked: `key` is never mutated after init; EVP_PKEY_sign uses a fresh context per call.
    private let key: OpaquePointer

    /// Loads a PKCS#1 or PKCS#8 DER private key.
    init(derRepresentation der: Data) throws {
        let loaded: OpaquePointer? = der.withUnsafeBytes { raw in
            var pointer = raw.bindMemory(to: UInt8.self).baseAddress
            return d2i_AutoPrivateKey(nil, &pointer, raw.count)
        }
        guard let loaded else { throw SimulatorError.invalidKey }
        key = loaded
    }

    deinit { EVP_PKEY_free(key) }

    /// Signature size in bytes.
    var size: Int { Int(EVP_PKEY_get_size(key)) }

    /// Pads and signs `message` (a DigestInfo). Returns nil when the message cannot fit the key.
    func sign(_ message: [UInt8]) -> [UInt8]? {
        guard let context = EVP_PKEY_CTX_new(key, nil) else { return nil }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_sign_init(context) == 1,
            EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PADDING) == 1
        else { return nil }
        var length = size
        var signature = [UInt8](repeating: 0, count: length)
        let result = EVP_PKEY_sign(context, &signature, &length, message, message.count)
        guard result == 1 else {
            ERR_clear_error()
            return nil
        }
        return Array(signature.prefix(length))
    }
}
