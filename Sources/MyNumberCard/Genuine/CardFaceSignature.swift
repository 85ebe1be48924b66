/// The signature over the card face (EF `0002` of the card-face AP, reference 13.2 step 3).
///
/// `DF28` signs three segments of the stored TLVs: `DF22`+`DF23`+`DF24`, `DF25`+`DF26`, `DF27`.
/// Their SHA-256 digests, concatenated, go into one DigestInfo (96-byte OCTET STRING), padded
/// PKCS#1 v1.5 type 1 and signed by the AP key. `DF29` (expiry) and `DF2A` (security-code image)
/// are outside the signature.
public struct CardFaceSignature: Sendable, Equatable {
    /// The three segments as stored.
    public let segments: [[UInt8]]
    public let signature: [UInt8]
    /// `DF24`: the chip's own key, inside the signed data; it verifies the challenge.
    public let cardKey: CardRSAPublicKey

    /// The tags of each segment, in order.
    public static let segmentTags: [[UInt32]] = [[0xDF22, 0xDF23, 0xDF24], [0xDF25, 0xDF26], [0xDF27]]

    /// Takes the segments and signature from EF `0002` as read.
    public static func parse(_ ef: [UInt8]) throws(CardError) -> CardFaceSignature {
        let file = "card face EF 0002"
        let children = try RawTLV.file(ef, tag: 0xFF20, file: file)
        var segments: [[UInt8]] = []
        for tags in segmentTags {
            var segment: [UInt8] = []
            for tag in tags { segment += try RawTLV.child(children, tag, "signed field", file: file).stored }
            segments.append(segment)
        }
        let signature = try RawTLV.child(children, 0xDF28, "signature", file: file).value
        let key = try CardRSAPublicKey.parse(
            try RawTLV.child(children, 0xDF24, "card key", file: file).value, what: "\(file) DF24")
        return CardFaceSignature(segments: segments, signature: signature, cardKey: key)
    }

    /// The DigestInfo the AP key signed: SHA-256 of each segment, concatenated, in one OCTET STRING.
    public var digestInfo: [UInt8] {
        SignedDigestInfo.sha256(segments.flatMap { DigestAlgorithm.sha256.hash($0) })
    }

    /// Whether the AP key signed these segments.
    public func isSigned(by apKey: CardRSAPublicKey) -> Bool {
        apKey.isValidSignature(signature, digestInfo: digestInfo)
    }
}
