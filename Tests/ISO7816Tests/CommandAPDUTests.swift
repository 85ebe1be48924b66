import ErrorCodes
import Testing

@testable import ISO7816

@Suite("Command APDU encoding and parsing")
struct CommandAPDUTests {
    @Test func case1() throws {
        let c = try CommandAPDU(ins: 0x20, p1: 0x00, p2: 0x80)
        #expect(c.apduCase == .case1)
        #expect(c.encoded() == [0x00, 0x20, 0x00, 0x80])
    }

    @Test func case2ShortEncodes256AsZero() throws {
        #expect(try CommandAPDU(ins: 0xB0, p1: 0, p2: 0, expectedLength: 256).encoded() == [0, 0xB0, 0, 0, 0x00])
        #expect(try CommandAPDU(ins: 0xB0, p1: 0, p2: 0, expectedLength: 0x20).encoded() == [0, 0xB0, 0, 0, 0x20])
    }

    @Test func case3Short() throws {
        let c = try CommandAPDU(ins: 0xA4, p1: 0x02, p2: 0x0C, data: [0x00, 0x0A])
        #expect(c.apduCase == .case3)
        #expect(c.encoded() == [0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x0A])
    }

    @Test func case4Short() throws {
        let c = try CommandAPDU(cla: 0x80, ins: 0x2A, p1: 0x00, p2: 0x80, data: [1, 2, 3], expectedLength: 256)
        #expect(c.encoded() == [0x80, 0x2A, 0x00, 0x80, 0x03, 1, 2, 3, 0x00])
    }

    @Test func extendedForms() throws {
        let le = try CommandAPDU(ins: 0xB0, p1: 0, p2: 0, expectedLength: 65_536)
        #expect(le.needsExtendedLength)
        #expect(le.encoded() == [0, 0xB0, 0, 0, 0x00, 0x00, 0x00])
        let le2 = try CommandAPDU(ins: 0xB0, p1: 0, p2: 0, expectedLength: 1000)
        #expect(le2.encoded() == [0, 0xB0, 0, 0, 0x00, 0x03, 0xE8])
        let data = [UInt8](repeating: 0xAB, count: 300)
        let c4 = try CommandAPDU(ins: 0x2A, p1: 0, p2: 0, data: data, expectedLength: 256)
        #expect(Array(c4.encoded().prefix(7)) == [0, 0x2A, 0, 0, 0x00, 0x01, 0x2C])
        #expect(Array(c4.encoded().suffix(2)) == [0x01, 0x00])
        let forced = try CommandAPDU(ins: 0xB0, p1: 0, p2: 0, expectedLength: 256)
        #expect(forced.encoded(forceExtended: true) == [0, 0xB0, 0, 0, 0x00, 0x01, 0x00])
    }

    @Test func oversizedLcAndBadLeAreErrors() {
        #expect(throws: APDUError.dataTooLong(count: 65_536)) {
            try CommandAPDU(ins: 0xD6, p1: 0, p2: 0, data: [UInt8](repeating: 0, count: 65_536))
        }
        #expect(throws: APDUError.invalidExpectedLength(0)) {
            try CommandAPDU(ins: 0xB0, p1: 0, p2: 0, expectedLength: 0)
        }
        #expect(throws: APDUError.invalidExpectedLength(65_537)) {
            try CommandAPDU(ins: 0xB0, p1: 0, p2: 0, expectedLength: 65_537)
        }
    }

    @Test(
        arguments: [
            [0x00, 0x20, 0x00, 0x80],
            [0x00, 0xB0, 0x8A, 0x00, 0x00],
            [0x00, 0xA4, 0x04, 0x0C, 0x02, 0x3F, 0x00],
            [0x80, 0x2A, 0x00, 0x80, 0x02, 0x01, 0x02, 0x00],
            [0x00, 0xB0, 0x00, 0x00, 0x00, 0x08, 0x00],
            [0x00, 0xD6, 0x00, 0x00, 0x00, 0x00, 0x02, 0xAA, 0xBB],
            [0x00, 0x2A, 0x00, 0x00, 0x00, 0x00, 0x01, 0xAA, 0x00, 0x00],
        ] as [[UInt8]])
    func parseRoundTrips(_ bytes: [UInt8]) throws {
        let parsed = try CommandAPDU(bytes: bytes)
        #expect(parsed.encoded(forceExtended: bytes.count > 5 && bytes[4] == 0) == bytes)
    }

    @Test(
        arguments: [
            [],
            [0x00, 0xA4, 0x04],
            [0x00, 0xA4, 0x04, 0x0C, 0x05, 0x01],
            [0x00, 0xB0, 0x00, 0x00, 0x00, 0x00],
            [0x00, 0xD6, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01],
            [0x00, 0xD6, 0x00, 0x00, 0x00, 0x00, 0x05, 0x01],
        ] as [[UInt8]])
    func malformedCommandsAreErrorValues(_ bytes: [UInt8]) {
        #expect(throws: APDUError.self) { try CommandAPDU(bytes: bytes) }
    }

    @Test func hexBothWays() {
        #expect([UInt8](hex: "3B 88 80") == [0x3B, 0x88, 0x80])
        #expect([UInt8](hex: "3b:88:80") == [0x3B, 0x88, 0x80])
        #expect([UInt8](hex: "") == [])
        #expect([UInt8](hex: "3B8") == nil)
        #expect([UInt8](hex: "ZZ") == nil)
        #expect([UInt8](hex: "+1") == nil)
        #expect([0x00, 0xAB].hexString == "00 AB")
        #expect([0x00, 0xAB].compactHex == "00AB")
    }

    @Test func redactionHidesReferenceData() throws {
        let verify = try CommandAPDU(ins: 0x20, p1: 0, p2: 0x80, data: Array("1234".utf8))
        #expect(verify.redactedDescription == "00 20 00 80 [4 byte(s) redacted]")
        #expect(!verify.redactedDescription.contains("31 32 33 34"))
        let read = try CommandAPDU(ins: 0xB0, p1: 0, p2: 0, expectedLength: 4)
        #expect(read.redactedDescription == "00 B0 00 00 04")
    }
}

@Suite("Response APDUs and status words")
struct ResponseAPDUTests {
    @Test func tooShortIsAnError() {
        #expect(throws: APDUError.responseTooShort(count: 0)) { try ResponseAPDU(bytes: []) }
        #expect(throws: APDUError.responseTooShort(count: 1)) { try ResponseAPDU(bytes: [0x90]) }
        #expect(APDUError.responseTooShort(count: 1).code == .malformedAPDU)
    }

    @Test func splitsDataAndStatus() throws {
        let r = try ResponseAPDU(bytes: [0x01, 0x02, 0x90, 0x00])
        #expect(r.data == [1, 2])
        #expect(r.statusWord.isSuccess)
        #expect(r.bytes == [0x01, 0x02, 0x90, 0x00])
    }

    @Test(
        arguments: [
            (0x9000, StatusWord.Meaning.success),
            (0x63C2, .verificationFailed(triesLeft: 2)),
            (0x63C0, .verificationFailed(triesLeft: 0)),
            (0x6982, .securityStatusNotSatisfied),
            (0x6984, .referenceDataNotUsable),
            (0x6983, .authenticationMethodBlocked),
            (0x6A82, .fileNotFound),
            (0x6282, .endOfFileReached),
            (0x6B00, .wrongParameters),
            (0x6C10, .wrongLe(exact: 16)),
            (0x6C00, .wrongLe(exact: 256)),
            (0x6120, .bytesRemaining(32)),
            (0x6D00, .instructionNotSupported),
            (0x6E00, .classNotSupported),
            (0x6A88, .referencedDataNotFound),
            (0x6300, .warning),
            (0x6F01, .other),
        ] as [(UInt16, StatusWord.Meaning)])
    func meanings(_ value: UInt16, _ meaning: StatusWord.Meaning) {
        #expect(StatusWord(value).meaning == meaning)
    }

    @Test func describes() {
        #expect(StatusWord(0x63C1).description == "63 C1 (verification failed, 1 tries left)")
        #expect(StatusWord.verificationFailed(triesLeft: 4) == StatusWord(0x63C4))
    }
}
