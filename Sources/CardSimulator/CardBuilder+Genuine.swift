import Crypto
import Foundation
import _CryptoExtras

/// The signed card data of a simulated card (reference 13), made exactly as section 13 says, from
/// a ``CVCHierarchy``: each AP's CVC (EF `0004`), the card-face signature `DF28`, the age record
/// (EF `0001`), the rendered my number (EF `0005`), the card-text integrity record (EF `0003`) and
/// signing key (EF `0007`), and the chip's own keys that answer the challenge.
extension CardBuilder {
    /// How the signed data deviates from a genuine card (``Scenario/genuineCheck``).
    public enum GenuineScenario: String, Codable, Sendable, CaseIterable {
        case genuine
        /// A photo byte changed after signing: `DF28` fails.
        case forgedFace = "forged-face"
        /// Records copied from another card: they verify, but the chip's own key differs, so the
        /// challenge fails.
        case clonedChip = "cloned-chip"
        /// The CVCs name a CA key nobody knows.
        case unknownIssuer = "unknown-issuer"
        /// The CVCs name the hierarchy's CA but are signed by another key.
        case keyMismatch = "key-mismatch"
    }

    static func addGenuineData(
        to applications: inout [CardImage.Application], _ scenario: Scenario, hierarchy: CVCHierarchy
    ) throws {
        guard let face = applications.firstIndex(where: { $0.name == "card-face" }),
            let text = applications.firstIndex(where: { $0.name == "card-text" })
        else { return }
        let mode = scenario.genuineCheck ?? .genuine
        let faceAPKey = try CardKey(derRepresentation: hierarchy.cardFaceAP.privateKey)
        let textAPKey = try CardKey(derRepresentation: hierarchy.cardTextAP.privateKey)
        // The chip's own keys; a cloned chip carries records of another card's key.
        let faceChip = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let textChip = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let recordKey = mode == .clonedChip ? try _RSA.Signing.PrivateKey(keySize: .bits2048) : faceChip
        let recordKeyBytes = try encodedPublicKey(recordKey)

        // Card-face AP.
        upsert(
            &applications[face],
            .init(
                fid: 0x0004, content: Data(try cvc(for: hierarchy.cardFaceCA, ap: hierarchy.cardFaceAP, mode)),
                readPIN: nil))
        if let index = applications[face].files.firstIndex(where: { $0.fid == 0x0002 }) {
            let signed = try signedFace(
                Array(applications[face].files[index].content), cardKey: recordKeyBytes, faceAPKey, mode)
            applications[face].files[index].content = Data(signed)
        }
        let birth = Array(scenario.holder.birthDate.replacingOccurrences(of: "-", with: "").utf8)
        upsert(
            &applications[face],
            .init(
                fid: 0x0001,
                content: Data(
                    try record(0xFF10, [(0xDF11, birth), (0xDF12, recordKeyBytes)], signature: 0xDF13, faceAPKey)),
                readPIN: 0x0011))
        upsert(
            &applications[face],
            .init(
                fid: 0x0005,
                content: Data(
                    try record(
                        0xFF40, [(0xDF41, CardFaceImages.name), (0xDF42, recordKeyBytes)], signature: 0xDF43, faceAPKey)
                ),
                readPIN: 0x0013))
        applications[face].defaultKey = .init(fid: 0x0000, pinFID: 0x0000, der: faceChip.derRepresentation)

        // Card-text AP.
        upsert(
            &applications[text],
            .init(
                fid: 0x0004, content: Data(try cvc(for: hierarchy.cardTextCA, ap: hierarchy.cardTextAP, mode)),
                readPIN: nil))
        let myNumber = applications[text].files.first { $0.fid == 0x0001 }.map { Array($0.content) } ?? []
        let attributes = applications[text].files.first { $0.fid == 0x0002 }.map { Array($0.content) } ?? []
        let integrity = try record(
            0xFF30,
            [
                (0xDF31, Array(SHA256.hash(data: myNumber))),
                (0xDF32, Array(SHA256.hash(data: attributeRange(attributes)))),
            ],
            signature: 0xDF33, textAPKey)
        let textKeyBytes = try encodedPublicKey(
            mode == .clonedChip ? try _RSA.Signing.PrivateKey(keySize: .bits2048) : textChip)
        let textOpeners = applications[text].pins.map(\.fid).filter { $0 != 0x0012 }
        upsert(
            &applications[text],
            .init(
                fid: 0x0003, content: Data(integrity), readPIN: textOpeners.first,
                readPINAlternatives: Array(textOpeners.dropFirst())))
        upsert(
            &applications[text],
            .init(
                fid: 0x0007, content: Data(try record(0xFF50, [(0xDF51, textKeyBytes)], signature: 0xDF52, textAPKey)),
                readPIN: textOpeners.first, readPINAlternatives: Array(textOpeners.dropFirst())))
        applications[text].defaultKey = .init(fid: 0x0000, pinFID: 0x0000, der: textChip.derRepresentation)
    }

    /// Puts `file`'s content in place of a file with its id (whose access rule stands: the card-data
    /// builder's), or adds the file.
    static func upsert(_ application: inout CardImage.Application, _ file: CardImage.File) {
        if let index = application.files.firstIndex(where: { $0.fid == file.fid }) {
            application.files[index].content = file.content
        } else {
            application.files.append(file)
        }
    }

    /// EF `0004`: `7F 21 { 5F 4E <issuer id, subject id, AP key>  5F 37 <signature> }`.
    static func cvc(for ca: CVCHierarchy.Authority, ap: CVCHierarchy.Authority, _ mode: GenuineScenario) throws
        -> [UInt8]
    {
        var issuer = ca
        var signer = ca.privateKey
        switch mode {
        case .unknownIssuer:
            issuer.id = ca.id.replacingOccurrences(of: "/001", with: "/099")
            signer = try _RSA.Signing.PrivateKey(keySize: .bits2048).derRepresentation
        case .keyMismatch:
            signer = try _RSA.Signing.PrivateKey(keySize: .bits2048).derRepresentation
        default:
            break
        }
        let (modulus, exponent) = try ap.publicNumbers()
        let body = issuer.idBytes + ap.idBytes + tlv([0x90], exponent) + tlv([0x91], modulus)
        let signature = try sign(Array(SHA256.hash(data: body)), with: try CardKey(derRepresentation: signer))
        return tlv([0x7F, 0x21], tlv([0x5F, 0x4E], body) + tlv([0x5F, 0x37], signature))
    }

    /// EF `0002` with the real card key in `DF24`, the real signature in `DF28` and, where the
    /// offset table has room for nine offsets, `DF21` recomputed.
    static func signedFace(_ file: [UInt8], cardKey: [UInt8], _ apKey: CardKey, _ mode: GenuineScenario) throws
        -> [UInt8]
    {
        var children = try Self.children(ofOuter: file)
        func set(_ tag: UInt32, _ value: [UInt8]) {
            if let i = children.firstIndex(where: { $0.tag == tag }) { children[i].value = value }
        }
        set(0xDF24, cardKey)
        func segment(_ tags: [UInt32]) -> [UInt8] {
            tags.flatMap { tag in children.first { $0.tag == tag }.map { tlvTag(tag, $0.value) } ?? [] }
        }
        let digests = [[0xDF22, 0xDF23, 0xDF24], [0xDF25, 0xDF26], [0xDF27]].flatMap {
            Array(SHA256.hash(data: segment($0)))
        }
        let digestInfo: [UInt8] =
            [
                0x30, 0x71, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
                0x04, 0x60,
            ] + digests
        guard let signature = apKey.sign(digestInfo) else { throw SimulatorError.invalidKey }
        set(0xDF28, signature)
        if mode == .forgedFace, let i = children.firstIndex(where: { $0.tag == 0xDF27 }), children[i].value.count > 20 {
            children[i].value[20] ^= 0x01
        }
        return outerWithOffsets(children)
    }

    /// A signed record: the fields' TLVs, then the signature TLV over them (SHA-256, PKCS#1 v1.5).
    static func record(_ outer: UInt32, _ fields: [(UInt32, [UInt8])], signature tag: UInt32, _ key: CardKey) throws
        -> [UInt8]
    {
        let signed = fields.flatMap { tlvTag($0.0, $0.1) }
        let signature = try sign(Array(SHA256.hash(data: signed)), with: key)
        return tlvTag(outer, signed + tlvTag(tag, signature))
    }

    /// PKCS#1 v1.5 over the SHA-256 DigestInfo of `digest`.
    static func sign(_ digest: [UInt8], with key: CardKey) throws -> [UInt8] {
        let prefix: [UInt8] = [
            0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04,
            0x20,
        ]
        guard let signature = key.sign(prefix + digest) else { throw SimulatorError.invalidKey }
        return signature
    }

    /// `90 03 01 00 01 91 82 01 00 <modulus>`.
    static func encodedPublicKey(_ key: _RSA.Signing.PrivateKey) throws -> [UInt8] {
        let p = try key.publicKey.getKeyPrimitives()
        return tlv([0x90], Array(p.publicExponent.drop { $0 == 0 })) + tlv([0x91], Array(p.modulus.drop { $0 == 0 }))
    }

    /// EF `0002` of the card-text AP from the first byte of the `DF22` TLV to the end of `DF25`'s.
    static func attributeRange(_ file: [UInt8]) -> [UInt8] {
        guard let children = try? Self.children(ofOuter: file) else { return [] }
        return children.filter { (0xDF22...0xDF25).contains($0.tag) }.flatMap { tlvTag($0.tag, $0.value) }
    }

    struct Child { var tag: UInt32; var value: [UInt8] }

    /// The children of a file's outer constructed object (two-byte tags, as these files use).
    static func children(ofOuter file: [UInt8]) throws -> [Child] {
        func length(_ bytes: [UInt8], _ at: Int) throws -> (Int, Int) {
            guard at < bytes.count else { throw SimulatorError.invalidScenario("truncated TLV") }
            let first = Int(bytes[at])
            if first < 0x80 { return (first, 1) }
            let n = first & 0x7F
            guard at + n < bytes.count else { throw SimulatorError.invalidScenario("truncated TLV") }
            return (bytes[(at + 1)...(at + n)].reduce(0) { $0 << 8 | Int($1) }, 1 + n)
        }
        let (outerLength, outerLengthBytes) = try length(file, 2)
        let inner = Array(file[(2 + outerLengthBytes)..<(2 + outerLengthBytes + outerLength)])
        var result: [Child] = []
        var at = 0
        while at + 2 < inner.count, inner[at] != 0x00, inner[at] != 0xFF {
            let tag = UInt32(inner[at]) << 8 | UInt32(inner[at + 1])
            let (len, lenBytes) = try length(inner, at + 2)
            let start = at + 2 + lenBytes
            result.append(Child(tag: tag, value: Array(inner[start..<(start + len)])))
            at = start + len
        }
        return result
    }

    /// `FF 20 { … }` with a `DF21` offset table of the nine fields after it, when it has room.
    static func outerWithOffsets(_ children: [Child]) -> [UInt8] {
        var children = children
        if let table = children.firstIndex(where: { $0.tag == 0xDF21 }), children[table].value.count == 18 {
            let innerLength = children.reduce(0) { $0 + tlvTag($1.tag, $1.value).count }
            var offset = tlvTag(0xFF20, [UInt8](repeating: 0, count: innerLength)).count - innerLength
            var offsets: [UInt8] = []
            for child in children {
                if child.tag != 0xDF21 { offsets += [UInt8(offset >> 8), UInt8(offset & 0xFF)] }
                offset += tlvTag(child.tag, child.value).count
            }
            children[table].value = Array(offsets.prefix(18))
        }
        return tlvTag(0xFF20, children.flatMap { tlvTag($0.tag, $0.value) })
    }

    static func tlvTag(_ tag: UInt32, _ value: [UInt8]) -> [UInt8] {
        tlv([UInt8(tag >> 8), UInt8(tag & 0xFF)], value)
    }
}
