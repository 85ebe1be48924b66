import Crypto
import FoundationEssentials

/// Hash algorithms the card's PKCS#1 v1.5 signature can carry.
public enum DigestAlgorithm: String, Sendable, CaseIterable, Codable {
    case sha1, sha256, sha384, sha512

    /// Digest length in bytes.
    public var digestLength: Int {
        switch self {
        case .sha1: 20
        case .sha256: 32
        case .sha384: 48
        case .sha512: 64
        }
    }

    /// The DER prefix of a DigestInfo with NULL parameters (RFC 8017, section 9.2, note 1).
    var digestInfoPrefix: [UInt8] {
        switch self {
        case .sha1:
            [0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2B, 0x0E, 0x03, 0x02, 0x1A, 0x05, 0x00, 0x04, 0x14]
        case .sha256, .sha384, .sha512:
            [
                0x30, UInt8(0x11 + digestLength), 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                0x65, 0x03, 0x04, 0x02, hashOIDLastArc, 0x05, 0x00, 0x04, UInt8(digestLength),
            ]
        }
    }

    private var hashOIDLastArc: UInt8 {
        switch self {
        case .sha256: 0x01
        case .sha384: 0x02
        case .sha512: 0x03
        case .sha1: 0x00
        }
    }

    /// Hashes `data` with this algorithm.
    public func hash(_ data: some DataProtocol) -> [UInt8] {
        switch self {
        case .sha1: Array(Insecure.SHA1.hash(data: data))
        case .sha256: Array(SHA256.hash(data: data))
        case .sha384: Array(SHA384.hash(data: data))
        case .sha512: Array(SHA512.hash(data: data))
        }
    }
}

/// A DER-encoded DigestInfo: what the card's COMPUTE DIGITAL SIGNATURE signs.
public struct DigestInfo: Sendable, Equatable {
    public let algorithm: DigestAlgorithm
    public let digest: [UInt8]

    /// Wraps a digest computed elsewhere; its length must match the algorithm.
    public init(algorithm: DigestAlgorithm, digest: [UInt8]) throws(CardError) {
        guard digest.count == algorithm.digestLength else {
            throw .invalidDigest(
                "a \(algorithm.rawValue) digest has \(algorithm.digestLength) bytes, got \(digest.count)")
        }
        self.algorithm = algorithm
        self.digest = digest
    }

    /// Hashes `data` and wraps the digest.
    public init(algorithm: DigestAlgorithm, hashing data: some DataProtocol) {
        self.algorithm = algorithm
        self.digest = algorithm.hash(data)
    }

    /// The DER encoding sent to the card.
    public var encoded: [UInt8] { algorithm.digestInfoPrefix + digest }
}
