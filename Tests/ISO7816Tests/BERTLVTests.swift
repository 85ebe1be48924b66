import ErrorCodes
import Testing

@testable import ISO7816

/// A small reproducible generator (xorshift64*), so a fuzz failure can be replayed from its seed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }
    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
}

@Suite("BER-TLV parser")
struct BERTLVTests {
    /// `FF 20` holding `DF 21` … `DF 25`, as EF 0002 of the card-text AP.
    static let basicFour: [UInt8] = {
        let inner: [UInt8] =
            [0xDF, 0x21, 0x02, 0x00, 0x01] + [0xDF, 0x22, 0x03] + Array("ABC".utf8)
            + [0xDF, 0x23, 0x00] + [0xDF, 0x24, 0x08] + Array("19900102".utf8) + [0xDF, 0x25, 0x01, 0x32]
        return [0xFF, 0x20, UInt8(inner.count)] + inner
    }()

    @Test func twoByteTagsAndShortLengths() throws {
        let objects = try BERTLV.parseAll(Self.basicFour)
        #expect(objects.count == 1)
        #expect(objects[0].tag == 0xFF20)
        #expect(objects[0].isConstructed)
        let children = try objects[0].children()
        #expect(children.map(\.tag) == [0xDF21, 0xDF22, 0xDF23, 0xDF24, 0xDF25])
        #expect(children[1].value == Array("ABC".utf8))
        #expect(children[2].value.isEmpty)
        #expect(try objects[0].child(0xDF25)?.value == [0x32])
        #expect(try objects[0].child(0xDF29) == nil)
    }

    @Test func oneByteTag() throws {
        let objects = try BERTLV.parseAll([0x04, 0x02, 0xAA, 0xBB, 0x30, 0x03, 0x02, 0x01, 0x05])
        #expect(objects == [BERTLV(tag: 0x04, value: [0xAA, 0xBB]), BERTLV(tag: 0x30, value: [0x02, 0x01, 0x05])])
        #expect(!objects[0].isConstructed)
        #expect(try objects[1].children() == [BERTLV(tag: 0x02, value: [0x05])])
    }

    @Test(arguments: [0, 1, 127, 128, 200, 255, 256, 1000, 65_535])
    func lengthFormsRoundTrip(count: Int) throws {
        let value = (0..<count).map { UInt8($0 & 0xFF) }
        let encoded = BERTLV(tag: 0xDF23, value: value).encoded
        let expectedHeader: [UInt8] =
            count < 0x80
            ? [0xDF, 0x23, UInt8(count)]
            : count < 0x100
                ? [0xDF, 0x23, 0x81, UInt8(count)]
                : [0xDF, 0x23, 0x82, UInt8(count >> 8), UInt8(count & 0xFF)]
        #expect(Array(encoded.prefix(expectedHeader.count)) == expectedHeader)
        let parsed = try BERTLV.parseAll(encoded)
        #expect(parsed == [BERTLV(tag: 0xDF23, value: value)])
        #expect(try BERTLV.totalLength(ofObjectStarting: Array(encoded.prefix(8))) == encoded.count)
    }

    @Test func nonMinimalLongFormIsAccepted() throws {
        #expect(try BERTLV.parseAll([0xDF, 0x22, 0x81, 0x01, 0x41]) == [BERTLV(tag: 0xDF22, value: [0x41])])
        #expect(try BERTLV.parseAll([0xDF, 0x22, 0x82, 0x00, 0x01, 0x41]) == [BERTLV(tag: 0xDF22, value: [0x41])])
    }

    @Test func parseFirstLeavesPadding() throws {
        let (tlv, consumed) = try BERTLV.parseFirst([0xFF, 0x10, 0x02, 0x31, 0x32, 0xFF, 0xFF])
        #expect(tlv == BERTLV(tag: 0xFF10, value: [0x31, 0x32]))
        #expect(consumed == 5)
    }

    @Test func truncatedInputIsAnError() {
        #expect(throws: TLVError.truncated(offset: 0)) { try BERTLV.parseFirst([]) }
        #expect(throws: TLVError.truncated(offset: 1)) { try BERTLV.parseAll([0xDF]) }
        #expect(throws: TLVError.truncated(offset: 2)) { try BERTLV.parseAll([0xDF, 0x22]) }
        #expect(throws: TLVError.truncated(offset: 2)) { try BERTLV.parseAll([0xDF, 0x22, 0x82, 0x01]) }
        #expect(throws: TLVError.valueTruncated(tag: 0xDF22, offset: 0, length: 3, available: 2)) {
            try BERTLV.parseAll([0xDF, 0x22, 0x03, 0x41, 0x42])
        }
        // A second object cut short after a complete first one.
        #expect(throws: TLVError.truncated(offset: 5)) { try BERTLV.parseAll([0x04, 0x01, 0x00, 0xDF, 0x22]) }
        #expect(throws: TLVError.truncated(offset: 1)) { try BERTLV.totalLength(ofObjectStarting: [0xFF]) }
    }

    @Test func overlongLengthFieldsAreErrors() {
        #expect(throws: TLVError.unsupportedLength(tag: 0xDF22, offset: 2, form: 0x80)) {
            try BERTLV.parseAll([0xDF, 0x22, 0x80, 0x00, 0x00])
        }
        #expect(throws: TLVError.unsupportedLength(tag: 0xDF22, offset: 2, form: 0x83)) {
            try BERTLV.parseAll([0xDF, 0x22, 0x83, 0x00, 0x00, 0x01, 0x41])
        }
        #expect(throws: TLVError.unsupportedLength(tag: 0x04, offset: 1, form: 0xFF)) {
            try BERTLV.parseAll([0x04, 0xFF])
        }
        #expect(throws: TLVError.tagTooLong(offset: 0)) { try BERTLV.parseAll([0xDF, 0x81, 0x82, 0x03, 0x00]) }
    }

    @Test func wrongNestingIsAnError() throws {
        // The outer FF 20 is whole, but its child DF 22 claims 5 bytes of the 3 inside it.
        let bytes: [UInt8] = [0xFF, 0x20, 0x05, 0xDF, 0x22, 0x05, 0x41, 0x42, 0x43, 0x44]
        let outer = try BERTLV.parseFirst(bytes).tlv
        #expect(throws: TLVError.exceedsContainer(tag: 0xDF22, offset: 0, length: 5, available: 2)) {
            try outer.children()
        }
        #expect(throws: TLVError.notConstructed(tag: 0xDF22)) {
            try BERTLV(tag: 0xDF22, value: [0x41]).children()
        }
    }

    @Test func errorsCarryAStableCodeAndNoValueBytes() {
        let error = TLVError.valueTruncated(tag: 0xDF22, offset: 0, length: 9, available: 2)
        #expect(error.code == .malformedTLV)
        #expect(error.message.contains("DF 22"))
    }

    /// Random bytes: the parser must only ever return objects or throw a ``TLVError``; whatever it
    /// returns must re-encode inside the input's bounds.
    @Test func randomInputNeverTraps() {
        var rng = SeededGenerator(seed: 0x5EED_0010)
        var parsed = 0
        for _ in 0..<20_000 {
            let count = Int.random(in: 0...40, using: &rng)
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
            parsed += Self.exercise(bytes) ? 1 : 0
        }
        #expect(parsed > 0, "some random inputs parse, so the success path ran too")
    }

    /// Mutations of a valid EF 0002 (bit flips, truncation, insertion, long-form lengths): never a
    /// trap, and the unmutated input always parses.
    @Test func mutatedInputNeverTraps() throws {
        var rng = SeededGenerator(seed: 0xC0FF_EE10)
        let longAddress = BERTLV(tag: 0xDF23, value: Array(repeating: 0x41, count: 300)).encoded
        let seeds: [[UInt8]] = [
            Self.basicFour,
            BERTLV(tag: 0xFF20, value: longAddress + [0xDF, 0x25, 0x01, 0x31]).encoded,
        ]
        var failures = 0
        for seed in seeds {
            #expect(Self.exercise(seed))
            for _ in 0..<5_000 {
                var bytes = seed
                switch Int.random(in: 0..<4, using: &rng) {
                case 0:
                    let i = Int.random(in: bytes.indices, using: &rng)
                    bytes[i] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
                case 1:
                    bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &rng)))
                case 2:
                    bytes.insert(
                        UInt8.random(in: 0...255, using: &rng), at: Int.random(in: 0...bytes.count, using: &rng))
                default:
                    let i = Int.random(in: bytes.indices, using: &rng)
                    bytes[i] = [0x80, 0x81, 0x82, 0x83, 0xFF, 0x00].randomElement(using: &rng)!
                }
                failures += Self.exercise(bytes) ? 0 : 1
            }
        }
        #expect(failures > 0, "mutations must reach the error paths")
    }

    /// Parses everything reachable in `bytes`; true when the whole tree parsed.
    static func exercise(_ bytes: [UInt8]) -> Bool {
        do {
            let objects = try BERTLV.parseAll(bytes)
            #expect(objects.reduce(0) { $0 + $1.encoded.count } <= bytes.count)
            for object in objects where object.isConstructed {
                _ = try object.children().map { $0.isConstructed ? try $0.children() : [] }
            }
            return true
        } catch {
            #expect(error is TLVError)
            return false
        }
    }
}
