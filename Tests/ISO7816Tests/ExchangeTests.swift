import Synchronization
import Testing

@testable import ISO7816

/// A transport that answers from a script and records what it was sent.
final class ScriptedTransport: CardTransport {
    private let log = Mutex<[CommandAPDU]>([])
    private let answer: @Sendable (CommandAPDU, Int) -> [UInt8]

    init(_ answer: @escaping @Sendable (CommandAPDU, Int) -> [UInt8]) { self.answer = answer }

    var sent: [CommandAPDU] { log.withLock { $0 } }

    func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU {
        let index = log.withLock { log in
            log.append(command)
            return log.count - 1
        }
        return try ResponseAPDU(bytes: answer(command, index))
    }

    var extendedLength: ExtendedLengthSupport { .unsupported }

    func withTransaction<T: Sendable>(ending: TransactionEnd, _ body: @Sendable () async throws -> T)
        async throws -> T
    {
        try await body()
    }

    func powerCycle() async throws {}
    func forgetPowerCycle() {}
}

@Suite("T=0 procedure bytes in exchange()")
struct ExchangeTests {
    @Test func getResponseCollectsAllData() async throws {
        let t = ScriptedTransport { command, index in
            switch index {
            case 0: [0x61, 0x03]
            case 1: [1, 2, 3, 0x61, 0x02]
            default: [4, 5, 0x90, 0x00]
            }
        }
        let r = try await t.exchange(
            try CommandAPDU(cla: 0x80, ins: 0x2A, p1: 0, p2: 0x80, data: [9], expectedLength: 256))
        #expect(r.data == [1, 2, 3, 4, 5])
        #expect(r.statusWord.isSuccess)
        #expect(t.sent.map(\.ins) == [0x2A, 0xC0, 0xC0])
        #expect(t.sent[1].expectedLength == 3)
        #expect(t.sent[1].cla == 0x00)
    }

    @Test func wrongLeResendsOnceWithExactLength() async throws {
        let t = ScriptedTransport { command, _ in
            command.expectedLength == 7 ? [1, 2, 3, 4, 5, 6, 7, 0x90, 0x00] : [0x6C, 0x07]
        }
        let r = try await t.exchange(try CommandAPDU(ins: 0xB0, p1: 0, p2: 0, expectedLength: 256))
        #expect(r.data.count == 7)
        #expect(t.sent.count == 2)
    }

    @Test func verifyIsNeverResent() async throws {
        let t = ScriptedTransport { _, _ in [0x6C, 0x04] }
        let verify = try CommandAPDU(ins: 0x20, p1: 0, p2: 0x80, data: [0x31, 0x32, 0x33, 0x34])
        let r = try await t.exchange(verify)
        #expect(r.statusWord == StatusWord(0x6C04))
        #expect(t.sent.count == 1)
    }

    @Test func endlessGetResponseIsBounded() async throws {
        let t = ScriptedTransport { _, _ in [0x00, 0x61, 0x01] }
        let r = try await t.exchange(try CommandAPDU(ins: 0xB0, p1: 0, p2: 0, expectedLength: 1))
        #expect(t.sent.count == 257)
        #expect(r.statusWord.meaning == .bytesRemaining(1))
    }
}
