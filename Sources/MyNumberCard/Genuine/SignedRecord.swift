/// A record of the card-face or card-text AP signed by its AP key (reference 13.2–13.3): the
/// signed bytes are the record's leading TLVs as stored, the signature the last one, SHA-256 and
/// PKCS#1 v1.5.
///
/// | EF | outer | signed | signature |
/// |---|---|---|---|
/// | face `0001` age record | `FF 10` | `DF11` birth date + `DF12` card key | `DF13` |
/// | face `0005` rendered my number | `FF 40` | `DF41` PNG + `DF42` card key | `DF43` |
/// | text `0003` integrity record | `FF 30` | `DF31` + `DF32` digests | `DF33` |
/// | text `0007` signing key | `FF 50` | `DF51` key | `DF52` |
public struct SignedRecord: Sendable, Equatable {
    /// Which record this is.
    public struct Layout: Sendable, Equatable {
        public let name: String
        public let outer: UInt32
        public let signed: [UInt32]
        public let signature: UInt32

        public static let ageRecord = Layout(
            name: "age record EF 0001", outer: 0xFF10, signed: [0xDF11, 0xDF12], signature: 0xDF13)
        public static let renderedMyNumber = Layout(
            name: "rendered my number EF 0005", outer: 0xFF40, signed: [0xDF41, 0xDF42], signature: 0xDF43)
        public static let integrityRecord = Layout(
            name: "integrity record EF 0003", outer: 0xFF30, signed: [0xDF31, 0xDF32], signature: 0xDF33)
        public static let textSigningKey = Layout(
            name: "signing key EF 0007", outer: 0xFF50, signed: [0xDF51], signature: 0xDF52)
    }

    public let layout: Layout
    /// The signed TLVs, in the layout's order.
    public let fields: [RawTLV]
    public let signature: [UInt8]

    public static func parse(_ ef: [UInt8], _ layout: Layout) throws(CardError) -> SignedRecord {
        let children = try RawTLV.file(ef, tag: layout.outer, file: layout.name)
        var fields: [RawTLV] = []
        for tag in layout.signed { fields.append(try RawTLV.child(children, tag, "signed field", file: layout.name)) }
        let signature = try RawTLV.child(children, layout.signature, "signature", file: layout.name).value
        return SignedRecord(layout: layout, fields: fields, signature: signature)
    }

    /// The value of the signed field `tag`.
    public func value(_ tag: UInt32) -> [UInt8]? { fields.first { $0.tag == tag }?.value }

    /// The signed fields as stored, concatenated.
    public var signedBytes: [UInt8] { fields.flatMap(\.stored) }

    public func isSigned(by apKey: CardRSAPublicKey) -> Bool {
        apKey.isValidSignature(signature, digestInfo: SignedDigestInfo.sha256(hashing: signedBytes))
    }

    /// The card key a record carries (`DF12`, `DF42`, `DF51`), parsed.
    public func cardKey(_ tag: UInt32) throws(CardError) -> CardRSAPublicKey {
        guard let bytes = value(tag) else { throw .malformedResponse("\(layout.name) carries no key") }
        return try CardRSAPublicKey.parse(bytes, what: "\(layout.name) key")
    }
}
