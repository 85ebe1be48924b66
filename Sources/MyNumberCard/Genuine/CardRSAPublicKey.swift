/// An RSA public key as the card and its certificates carry it (reference 13.1):
/// `90 <len> <exponent>  91 <len> <modulus>`, both big-endian.
///
/// Verification is a raw RSA public operation (`s^e mod n`) followed by a comparison of the whole
/// PKCS#1 v1.5 type 1 block with the one expected for a DigestInfo (RFC 8017, 8.2.2 and 9.2):
/// the card-face signature `DF28` signs a DigestInfo whose OCTET STRING holds 96 bytes (three
/// SHA-256 digests), which no stock "SHA256withRSA" verifier accepts. swift-crypto exposes no raw
/// public operation; `ModularExponentiation` says why it is written here.
public struct CardRSAPublicKey: Sendable, Hashable {
    /// The modulus, big-endian, without leading zero bytes.
    public let modulus: [UInt8]
    /// The public exponent, big-endian, without leading zero bytes.
    public let exponent: [UInt8]

    /// The smallest and largest modulus accepted, in bytes (RSA-1024 … RSA-4096).
    static let modulusBytes = 128...512

    /// Checks the numbers: a modulus of 1024–4096 bits, odd; an odd exponent of at least 3,
    /// below the modulus.
    public init(modulus: [UInt8], exponent: [UInt8]) throws(CardError) {
        let n = Array(modulus.drop { $0 == 0 })
        let e = Array(exponent.drop { $0 == 0 })
        guard Self.modulusBytes.contains(n.count), let lastN = n.last, lastN & 1 == 1 else {
            throw .malformedResponse("an RSA modulus of \(n.count) bytes (or an even one)")
        }
        guard !e.isEmpty, e.count <= 8, let lastE = e.last, lastE & 1 == 1, e != [0x01] else {
            throw .malformedResponse("an RSA public exponent that is not an odd number of at least 3")
        }
        self.modulus = n
        self.exponent = e
    }

    /// The modulus length in bytes: the length of every signature under this key.
    public var size: Int { modulus.count }

    /// Parses `90 <len> <e>  91 <len> <n>` (the value of `DF24`, `DF12`, `DF42`, `DF51` and the
    /// last 265 bytes of a CVC body). Nothing may follow.
    public static func parse(_ bytes: [UInt8], what: String) throws(CardError) -> CardRSAPublicKey {
        let items: [RawTLV]
        do {
            items = try RawTLV.scan(bytes, stoppingAtFiller: false)
        } catch {
            throw .malformedResponse("\(what): \(error.message)")
        }
        guard items.count == 2, items[0].tag == 0x90, items[1].tag == 0x91 else {
            throw .malformedResponse("\(what) is not an RSA public key (90 exponent, 91 modulus)")
        }
        do {
            return try CardRSAPublicKey(modulus: items[1].value, exponent: items[0].value)
        } catch {
            throw .malformedResponse("\(what): \(error.message)")
        }
    }

    /// The card's encoding: `90 <len> <e> 91 <len> <n>`.
    public var encoded: [UInt8] {
        RawTLV.encode(tag: [0x90], exponent) + RawTLV.encode(tag: [0x91], modulus)
    }

    /// `signature^e mod n` as `size` bytes, or nil when the signature has the wrong length or is
    /// not below the modulus (RFC 8017 RSAVP1).
    public func publicOperation(_ signature: [UInt8]) -> [UInt8]? {
        // Same length and no leading zero in the modulus: byte order is numeric order.
        guard signature.count == size, signature.lexicographicallyPrecedes(modulus) else { return nil }
        return ModularExponentiation.power(signature, exponent, modulus: modulus)
    }

    /// Whether `signature` is this key's PKCS#1 v1.5 signature of the DER `digestInfo`: the
    /// recovered block must equal `00 01 FF…FF 00 <digestInfo>` byte for byte.
    public func isValidSignature(_ signature: [UInt8], digestInfo: [UInt8]) -> Bool {
        guard let expected = Self.pkcs1Block(digestInfo, size: size), let recovered = publicOperation(signature)
        else { return false }
        // Public data on both sides: no secret to keep in constant time, but compare all of it.
        return recovered.count == expected.count && zip(recovered, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// The EMSA-PKCS1-v1_5 block of `size` bytes for `digestInfo` (at least 8 bytes of `FF`).
    public static func pkcs1Block(_ digestInfo: [UInt8], size: Int) -> [UInt8]? {
        let filler = size - digestInfo.count - 3
        guard filler >= 8 else { return nil }
        return [0x00, 0x01] + [UInt8](repeating: 0xFF, count: filler) + [0x00] + digestInfo
    }
}
