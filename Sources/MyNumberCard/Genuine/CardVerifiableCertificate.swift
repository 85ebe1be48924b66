import ISO7816

/// A card-verifiable certificate (EF `0004` of the card-face and card-text APs, reference 13.1):
///
/// ```
/// 7F 21 { 5F 4E <body: issuer key id (16) | subject key id (16) | 90 … 91 … public key>
///         5F 37 <signature> }
/// ```
///
/// The signature is RSA PKCS#1 v1.5 with SHA-256 over the body's value (not its tag or length),
/// by the key its issuer id names; that key is not on the card.
public struct CardVerifiableCertificate: Sendable, Equatable {
    public let issuer: CVCKeyID
    public let subject: CVCKeyID
    /// The key this certificate certifies: the one that signs the AP's records.
    public let publicKey: CardRSAPublicKey
    /// The value of `5F 4E`: the signed bytes.
    public let body: [UInt8]
    public let signature: [UInt8]

    /// Parses EF `0004` (filler after the certificate is ignored).
    public static func parse(_ ef: [UInt8]) throws(CardError) -> CardVerifiableCertificate {
        let file = "CVC EF 0004"
        let children = try RawTLV.file(ef, tag: 0x7F21, file: file)
        let body = try RawTLV.child(children, 0x5F4E, "body", file: file).value
        let signature = try RawTLV.child(children, 0x5F37, "signature", file: file).value
        guard body.count > 2 * CVCKeyID.length else {
            throw .malformedResponse("\(file): a body of \(body.count) bytes holds no key")
        }
        let issuer = try CVCKeyID(bytes: Array(body[0..<16]))
        let subject = try CVCKeyID(bytes: Array(body[16..<32]))
        let key = try CardRSAPublicKey.parse(Array(body[32...]), what: "\(file) public key")
        return CardVerifiableCertificate(
            issuer: issuer, subject: subject, publicKey: key, body: body, signature: signature)
    }

    /// Whether `authority` signed this certificate.
    public func isSigned(by authority: CardRSAPublicKey) -> Bool {
        authority.isValidSignature(signature, digestInfo: DigestInfo(algorithm: .sha256, hashing: body).encoded)
    }

    /// The EF as the card stores it.
    public var encoded: [UInt8] {
        RawTLV.encode(
            tag: [0x7F, 0x21], RawTLV.encode(tag: [0x5F, 0x4E], body) + RawTLV.encode(tag: [0x5F, 0x37], signature))
    }

    /// A certificate from its parts (the simulator and tests build them).
    public init(
        issuer: CVCKeyID, subject: CVCKeyID, publicKey: CardRSAPublicKey, body: [UInt8], signature: [UInt8]
    ) {
        self.issuer = issuer
        self.subject = subject
        self.publicKey = publicKey
        self.body = body
        self.signature = signature
    }

    /// The body for `issuer`, `subject` and `key`: what the issuer signs.
    public static func body(issuer: CVCKeyID, subject: CVCKeyID, key: CardRSAPublicKey) -> [UInt8] {
        issuer.bytes + subject.bytes + key.encoded
    }
}
