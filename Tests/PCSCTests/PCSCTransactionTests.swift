import CardSimulator
import Foundation
import ISO7816
import MyNumberCard
import PCSC
import Synchronization
import Testing

/// How transactions end, through the real pcscd: two handles on the card are two PC/SC clients.
/// (An extension of the serialized integration suite: one pcscd at a time.)
extension PCSCIntegrationTests {
    /// SELECT EF 0017 and COMPUTE DIGITAL SIGNATURE on `card` without a PIN or a DF selection.
    static func signWithoutPIN(_ card: PCSCCard) async throws -> StatusWord {
        try await card.withTransaction(ending: .leaveCard) {
            _ = try await card.transmit(try CommandAPDU(ins: 0xA4, p1: 0x02, p2: 0x0C, data: [0x00, 0x17]))
            return try await card.transmit(
                try CommandAPDU(
                    cla: 0x80, ins: 0x2A, p1: 0x00, p2: 0x80,
                    data: DigestInfo(algorithm: .sha256, hashing: [1]).encoded, expectedLength: 256)
            ).statusWord
        }
    }

    /// Verifies the auth PIN on `card` in a transaction ended as `ending`, leaving the key EF selected.
    static func verifyAuth(_ card: PCSCCard, ending: TransactionEnd) async throws {
        try await card.withTransaction(ending: ending) {
            _ = try await card.transmit(try CommandAPDU(ins: 0xA4, p1: 0x04, p2: 0x0C, data: CardApplication.jpki.aid))
            _ = try await card.transmit(try CommandAPDU(ins: 0xA4, p1: 0x02, p2: 0x0C, data: [0x00, 0x18]))
            let sw = try await card.transmit(try CommandAPDU(ins: 0x20, p1: 0x00, p2: 0x80, data: Array("1234".utf8)))
            #expect(sw.statusWord == .success)
            _ = try await card.transmit(try CommandAPDU(ins: 0xA4, p1: 0x02, p2: 0x0C, data: [0x00, 0x17]))
        }
    }

    /// As an attacker would: SELECT the JPKI AP, the auth key, and COMPUTE DIGITAL SIGNATURE.
    static func signWithoutPINSelectingTheAP(_ card: PCSCCard) async throws -> StatusWord {
        try await card.withTransaction(ending: .leaveCard) {
            _ = try await card.transmit(try CommandAPDU(ins: 0xA4, p1: 0x04, p2: 0x0C, data: CardApplication.jpki.aid))
            return try await signWithoutPIN(card)
        }
    }

    @Test func onlyAPowerCycleLeavesNothingForTheNextClient() async throws {
        try await Harness.with { harness in
            try await harness.insertCard()
            let context = try await PCSCContext.establish()
            let jpkid = try await context.connect(reader: virtualReader)
            let other = try await (try await PCSCContext.establish()).connect(reader: virtualReader)
            // The control: handed back as it is, the card signs for anyone.
            try await Self.verifyAuth(jpkid, ending: .leaveCard)
            #expect(try await Self.signWithoutPIN(other) == .success)
            // A warm reset (jpkid's old ending, before PIN sessions ended in a power cycle) returns to the default DF but, as on a
            // physical card, keeps the PIN verified: an attacker who selects the AP signs.
            try await Self.verifyAuth(jpkid, ending: .resetCard)
            #expect(try await Self.signWithoutPINSelectingTheAP(other) == .success)
            // A power cycle leaves nothing verified.
            try await Self.verifyAuth(jpkid, ending: .unpowerCard)
            #expect(try await Self.signWithoutPINSelectingTheAP(other) == .securityStatusNotSatisfied)
            // And jpkid's own handle goes on after its own power cycle (SCARD_W_RESET_CARD once).
            #expect(try await MyNumberCard(transport: jpkid).pinStatus(.auth).remaining == 3)
            await jpkid.disconnect()
            await other.disconnect()
            await context.release()
        }
    }

    /// Reference section 11: pcscd keeps the transaction across `SCardReconnect(UNPOWER)`, so
    /// jpkid can power-cycle, check, and only then hand the card over.
    @Test func theTransactionIsKeptAcrossAPowerCycle() async throws {
        try await Harness.with { harness in
            try await harness.insertCard(["--control-log", harness.directory.appendingPathComponent("controls").path])
            let jpkid = try await (try await PCSCContext.establish()).connect(reader: virtualReader)
            let other = try await (try await PCSCContext.establish()).connect(reader: virtualReader)
            let otherGotIt = Stamp()
            let released = Stamp()
            let durations = Durations()
            try await jpkid.withTransaction(ending: .leaveCard) {
                // The other client asks for the card while jpkid holds it.
                let waiter = Task {
                    try await other.withTransaction(ending: .leaveCard) {
                        otherGotIt.set()
                    }
                }
                for _ in 0..<5 {
                    let start = ContinuousClock.now
                    try await jpkid.powerCycle()
                    durations.append(ContinuousClock.now - start)
                    // Still ours: an APDU goes through, and the other client has not got the card.
                    let sw = try await jpkid.transmit(
                        try CommandAPDU(ins: 0xA4, p1: 0x04, p2: 0x0C, data: CardApplication.jpki.aid))
                    #expect([.success, .noPreciseDiagnosis].contains(sw.statusWord))
                    #expect(otherGotIt.value == nil)
                }
                released.set()
                _ = waiter
            }
            // The waiter runs once jpkid's transaction ended, not before.
            let deadline = ContinuousClock.now + .seconds(15)
            while otherGotIt.value == nil, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            let got = try #require(otherGotIt.value)
            #expect(got >= released.value!)
            let controls = try String(
                contentsOf: harness.directory.appendingPathComponent("controls"), encoding: .utf8)
            #expect(
                controls.split(separator: "\n").suffix(10) == Array(repeating: ["0", "1"], count: 5).flatMap { $0 })
            let sorted = durations.sorted
            print("power cycle on vpcd: median \(sorted[2]), min \(sorted[0]), max \(sorted[4])")
            await jpkid.disconnect()
            await other.disconnect()
        }
    }

    @Test func aResetByAnotherClientIsNormal() async throws {
        try await Harness.with { harness in
            try await harness.insertCard()
            let jpkid = try await (try await PCSCContext.establish()).connect(reader: virtualReader)
            let card = MyNumberCard(transport: jpkid)
            let before = try await card.readSummary()
            let other = try await (try await PCSCContext.establish()).connect(reader: virtualReader)
            try await other.reconnect(resetCard: true)
            // pcsc-lite answers jpkid's next call with SCARD_W_RESET_CARD; the transport reconnects.
            #expect(try await card.readSummary() == before)
            try await card.verify(try PIN("1234", for: .auth), confirmFinalAttempt: false)
            await other.disconnect()
            await jpkid.disconnect()
        }
    }

    @Test func extendedReadsThroughPcscdAreLearntAndUsed() async throws {
        try await Harness.with { harness in
            try await harness.insertCard()
            let connection = try await (try await PCSCContext.establish()).connect(reader: virtualReader)
            let card = MyNumberCard(transport: connection)
            let summary = try await card.readSummary()
            #expect(summary.certificates[.auth]!.count >= 1400)
            // vpcd does not answer SCARD_ATTR_MAXINPUT; one extended READ BINARY settles it.
            #expect(connection.extendedLength == .unknown)
            #expect(card.extendedLength == .supported)
            await connection.disconnect()
        }
    }
}

/// A moment, set once from any task.
final class Stamp: Sendable {
    private let at = Mutex<ContinuousClock.Instant?>(nil)
    func set() { at.withLock { $0 = .now } }
    var value: ContinuousClock.Instant? { at.withLock { $0 } }
}

final class Durations: Sendable {
    private let all = Mutex<[Duration]>([])
    func append(_ d: Duration) { all.withLock { $0.append(d) } }
    var sorted: [Duration] { all.withLock { $0.sorted() } }
}
