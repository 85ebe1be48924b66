import Foundation
import _CryptoExtras

/// The simulator's own CVC hierarchy (reference 13): a CA key per AP with a test-style id (`6…`,
/// as the JPKI test hierarchy), and the AP keys those CAs certify. Tests make one, give it to the
/// card builder, and configure jpkid with its public keys; there is no default hierarchy, so no
/// simulated card is ever genuine to a jpkid that was not told.
public struct CVCHierarchy: Codable, Sendable, Equatable {
    /// A key with its 16-byte id.
    public struct Authority: Codable, Sendable, Equatable {
        /// `6000023/001` style.
        public var id: String
        /// PKCS#1 DER of the RSA private key.
        public var privateKey: Data
    }

    /// The CA key that certifies the card-face AP's CVC (id `6000023/001`).
    public var cardFaceCA: Authority
    /// The CA key that certifies the card-text AP's CVC (id `6000033/001`).
    public var cardTextCA: Authority
    /// The card-face AP key its CVC certifies; it signs the AP's records.
    public var cardFaceAP: Authority
    /// The card-text AP key.
    public var cardTextAP: Authority

    /// A fresh hierarchy (four RSA-2048 keys).
    public static func generate() throws -> CVCHierarchy {
        func key(_ id: String) throws -> Authority {
            Authority(id: id, privateKey: try _RSA.Signing.PrivateKey(keySize: .bits2048).derRepresentation)
        }
        return CVCHierarchy(
            cardFaceCA: try key("6000023/001"), cardTextCA: try key("6000033/001"),
            cardFaceAP: try key("6000023/101"), cardTextAP: try key("6000033/101"))
    }

    /// Loads `hierarchy.json` from `directory`, or makes a new hierarchy and writes it there with
    /// jpkid's key files of the two CA public keys under `keys/` (for jpkid's `cvcKeys`).
    public static func loadOrCreate(directory: URL) throws -> CVCHierarchy {
        let file = directory.appendingPathComponent("hierarchy.json")
        if FileManager.default.fileExists(atPath: file.path) {
            return try JSONDecoder().decode(CVCHierarchy.self, from: Data(contentsOf: file))
        }
        let hierarchy = try generate()
        let keys = directory.appendingPathComponent("keys")
        try FileManager.default.createDirectory(at: keys, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writePrivate(try encoder.encode(hierarchy), to: file)
        for authority in [hierarchy.cardFaceCA, hierarchy.cardTextCA] {
            let name = authority.id.replacingOccurrences(of: "/", with: "-") + ".json"
            try encoder.encode(try authority.publicKeyFile()).write(to: keys.appendingPathComponent(name))
        }
        return hierarchy
    }

    /// Writes `data` to a new file that is `0600` from its creation (the private keys are never
    /// readable by others, not even for a moment), then renames it into place.
    static func writePrivate(_ data: Data, to file: URL) throws {
        let temporary = file.path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: temporary]) }
        var written = 0
        let ok = data.withUnsafeBytes { buffer -> Bool in
            while written < buffer.count {
                let n = write(fd, buffer.baseAddress! + written, buffer.count - written)
                if n < 0 { if errno == EINTR { continue } else { return false } }
                written += n
            }
            return true
        }
        let synced = ok && fsync(fd) == 0
        guard close(fd) == 0, synced, rename(temporary, file.path) == 0 else {
            unlink(temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: file.path])
        }
    }
}

extension CVCHierarchy.Authority {
    /// The 16-byte key id: 7 digits, `08 05`, 3 digits, 4 zero bytes.
    var idBytes: [UInt8] {
        let parts = id.split(separator: "/")
        return Array(parts[0].utf8) + [0x08, 0x05] + Array(parts[1].utf8) + [0, 0, 0, 0]
    }

    /// Modulus and exponent.
    func publicNumbers() throws -> (modulus: [UInt8], exponent: [UInt8]) {
        let key = try _RSA.Signing.PrivateKey(derRepresentation: privateKey)
        let primitives = try key.publicKey.getKeyPrimitives()
        return (Array(primitives.modulus.drop { $0 == 0 }), Array(primitives.publicExponent.drop { $0 == 0 }))
    }

    /// jpkid's key-file form of this key's public half.
    public func publicKeyFile() throws -> [String: String] {
        let (modulus, exponent) = try publicNumbers()
        return [
            "keyId": id, "modulus": modulus.map { String(format: "%02X", $0) }.joined(),
            "exponent": exponent.map { String(format: "%02X", $0) }.joined(),
        ]
    }
}
