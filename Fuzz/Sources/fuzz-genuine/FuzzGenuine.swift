import FuzzSupport
import MyNumberCard

/// The signed card data of the genuine-card check (reference 13): the CVC, the card-face
/// signature's segments, the signed records and the card's RSA key encoding. Never a trap; what
/// parses agrees with itself (a CVC re-encodes to bytes that parse to the same certificate; a key
/// re-encodes to itself; a raw public operation gives a block of the key's size or nothing).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGenuine(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)

    if let cvc = try? CardVerifiableCertificate.parse(bytes) {
        require((try? CardVerifiableCertificate.parse(cvc.encoded)) == cvc, "a CVC does not round-trip")
        require(cvc.body.count > 32, "a CVC body without its two key ids")
        require(CVCKeyID(text: cvc.issuer.description) == cvc.issuer, "a key id's text does not name it")
        _ = CVCAuthorities.builtIn.lookup(cvc.issuer)
        _ = cvc.isSigned(by: cvc.publicKey)
    }
    if let face = try? CardFaceSignature.parse(bytes) {
        require(face.segments.count == 3, "not three segments")
        require(face.digestInfo.count == 19 + 96, "a DigestInfo of \(face.digestInfo.count) bytes")
    }
    for layout in [
        SignedRecord.Layout.ageRecord, .renderedMyNumber, .integrityRecord, .textSigningKey,
    ] {
        if let record = try? SignedRecord.parse(bytes, layout) {
            require(record.fields.count == layout.signed.count, "a record without its signed fields")
            require(record.signedBytes.count <= bytes.count, "signed bytes longer than the file")
        }
    }
    if let key = try? CardRSAPublicKey.parse(bytes, what: "fuzz") {
        require((try? CardRSAPublicKey.parse(key.encoded, what: "fuzz")) == key, "a key does not round-trip")
        let block = key.publicOperation([UInt8](repeating: 0x01, count: key.size))
        require(block == nil || block?.count == key.size, "a public operation of the wrong size")
    }
    return 0
}

@main
enum GenuineFuzzer {
    static func main() { runFuzzer(fuzzGenuine) }
}
