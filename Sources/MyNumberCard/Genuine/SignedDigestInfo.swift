/// The SHA-256 DigestInfo of signed card data (reference 13): the standard prefix with an OCTET
/// STRING of any length up to 110 bytes. The card-face signature `DF28` carries three digests
/// (96 bytes) in one DigestInfo, `30 71 … 04 60 <H1 H2 H3>`; the other records one.
enum SignedDigestInfo {
    /// `30 <len> 30 0D 06 09 <2.16.840.1.101.3.4.2.1> 05 00 04 <n> <digests>`.
    static func sha256(_ digests: [UInt8]) -> [UInt8] {
        precondition(digests.count <= 0x6E, "a DigestInfo with a short-form length")
        return [
            0x30, UInt8(0x11 + digests.count), 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x01, 0x05, 0x00, 0x04, UInt8(digests.count),
        ] + digests
    }

    /// The DigestInfo of `bytes` hashed once with SHA-256 (the usual record signature).
    static func sha256(hashing bytes: [UInt8]) -> [UInt8] {
        DigestInfo(algorithm: .sha256, hashing: bytes).encoded
    }
}
