import CardSimulator
import Foundation
import ISO7816
import Synchronization
import Testing

@testable import MyNumberCard

/// What another PC/SC client on the same kiosk can do: it shares the card (and its transaction
/// lock) through a transport of its own, and gets the card whenever jpkid's transaction ends.
@Suite("No verified state outlives an operation; the guard and its VERIFY are one transaction")
struct TransactionTests {
    /// A second client on the same simulated card.
    static func otherClient(_ sim: SimulatedCard) -> SimulatedCardTransport { SimulatedCardTransport(card: sim) }

    /// Waits (at most 30 s: RSA key generation in parallel tests can starve the pool) until `condition` holds.
    static func waitUntil(_ what: String, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw FixtureTimeout(what: what) }
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    struct FixtureTimeout: Error { let what: String }

    @Test func everyPINOperationEndsWithAPowerCycleAndEveryOtherLeavesTheCard() async throws {
        let (sim, _) = try Fixtures.card()
        let transport = InterceptingTransport(SimulatedCardTransport(card: sim))
        let card = MyNumberCard(transport: transport)
        _ = try await card.readSummary()
        _ = try await card.pinStatus(.auth)
        #expect(transport.endings == [.leaveCard, .leaveCard])
        try await card.verify(try PIN("1234", for: .auth), confirmFinalAttempt: false)
        _ = try await card.sign(
            DigestInfo(algorithm: .sha256, hashing: [1]), with: .auth, pin: try PIN("1234", for: .auth),
            confirmFinalAttempt: false)
        _ = try await card.readSignCertificate(pin: try PIN("ABC123", for: .sign), confirmFinalAttempt: false)
        #expect(transport.endings.suffix(3) == [.unpowerCard, .unpowerCard, .unpowerCard])
    }

    @Test func operationsThatFailHalfwayEndWithAPowerCycleToo() async throws {
        let (sim, _) = try Fixtures.card { $0.triesLeft = ["auth": 1] }
        let transport = InterceptingTransport(SimulatedCardTransport(card: sim))
        let card = MyNumberCard(transport: transport)
        // A wrong PIN, the final-try refusal, and a card error after a right VERIFY.
        await #expect(throws: CardError.finalAttempt(.auth)) {
            try await card.verify(try PIN("0000", for: .auth), confirmFinalAttempt: false)
        }
        await #expect(throws: CardError.wrongPIN(.sign, triesLeft: 4)) {
            try await card.verify(try PIN("XYZ789", for: .sign), confirmFinalAttempt: false)
        }
        sim.faults.failAuthorisedSignatures = true
        await #expect(throws: CardError.self) {
            _ = try await card.sign(
                DigestInfo(algorithm: .sha256, hashing: [1]), with: .sign, pin: try PIN("ABC123", for: .sign),
                confirmFinalAttempt: false)
        }
        // A card pulled in the middle.
        sim.pull(afterAPDUs: 3)
        await #expect(throws: (any Error).self) {
            _ = try await card.sign(
                DigestInfo(algorithm: .sha256, hashing: [1]), with: .sign, pin: try PIN("ABC123", for: .sign),
                confirmFinalAttempt: false)
        }
        #expect(transport.endings == [.unpowerCard, .unpowerCard, .unpowerCard, .unpowerCard])
    }

    /// jpkid signs (or, with `failHalfway`, verifies and then fails) 20 times while another
    /// client waits for the card; each time the card is free it tries SELECT EF 0017 and COMPUTE
    /// DIGITAL SIGNATURE without a PIN and without selecting the DF. Returns the status words.
    static func attack(_ sim: SimulatedCard, card: MyNumberCard, failHalfway: Bool) async throws -> [StatusWord] {
        sim.faults.failAuthorisedSignatures = failHalfway
        sim.faults.delayPerAPDU = .milliseconds(2)
        let attacker = otherClient(sim)
        var answers: [StatusWord] = []
        for round in 0..<20 {
            let served = sim.apduCount
            let operation = Task {
                try await card.sign(
                    DigestInfo(algorithm: .sha256, hashing: [UInt8(round)]), with: .auth,
                    pin: try PIN("1234", for: .auth), confirmFinalAttempt: false)
            }
            // The attacker queues for the card while jpkid's operation holds it.
            try await waitUntil("jpkid holds the card") { sim.apduCount > served }
            let attack = Task {
                try await attacker.withTransaction(ending: .leaveCard) {
                    _ = try await attacker.transmit(try CommandAPDU(ins: 0xA4, p1: 0x02, p2: 0x0C, data: [0x00, 0x17]))
                    return try await attacker.transmit(
                        try CommandAPDU(
                            cla: 0x80, ins: 0x2A, p1: 0x00, p2: 0x80,
                            data: DigestInfo(algorithm: .sha256, hashing: [9]).encoded, expectedLength: 256))
                }
            }
            _ = try? await operation.value
            answers.append(try await attack.value.statusWord)
        }
        return answers
    }

    /// 90 00 (a signature) or 6F 00 (a verified key failing) means the card was left verified.
    static func foundVerified(_ sw: StatusWord) -> Bool { sw == .success || sw == .noPreciseDiagnosis }

    @Test(arguments: [false, true])
    func anotherClientWaitingForTheCardFindsNothingVerified(_ failHalfway: Bool) async throws {
        let (sim, card) = try Fixtures.card()
        let answers = try await Self.attack(sim, card: card, failHalfway: failHalfway)
        #expect(answers.count == 20)
        #expect(!answers.contains(where: Self.foundVerified), "\(answers)")
    }

    @Test func theAttackFindsACardLeftVerified() async throws {
        // The control: the same attack against a transport that hands the card back as it is
        // (SCARD_LEAVE_CARD) signs without a PIN, so the test above can fail.
        let (sim, _) = try Fixtures.card()
        let card = MyNumberCard(transport: LeavingTransport(inner: SimulatedCardTransport(card: sim)))
        let answers = try await Self.attack(sim, card: card, failHalfway: false)
        #expect(answers.filter(Self.foundVerified).count == 20, "\(answers)")
    }

    @Test func theFinalTryGuardCannotBeRacedByAnotherClient() async throws {
        let (sim, card) = try Fixtures.card { $0.triesLeft = ["auth": 2] }
        // Slow enough that the other client is surely queued while jpkid's VERIFY is on its way.
        sim.faults.delayPerAPDU = .milliseconds(50)
        let other = Self.otherClient(sim)
        // jpkid reads 2 tries and is about to send a wrong PIN without confirmation; another
        // client tries to spend a try in between.
        let operation = Task {
            try await card.verify(try PIN("0000", for: .auth), confirmFinalAttempt: false)
        }
        try await Self.waitUntil("jpkid's guard read the counter") {
            sim.trace.contains { $0.ins == 0x20 && $0.dataLength == 0 }
        }
        let spend = Task {
            try await other.withTransaction(ending: .resetCard) {
                _ = try await other.transmit(
                    try CommandAPDU(ins: 0xA4, p1: 0x04, p2: 0x0C, data: CardApplication.jpki.aid))
                _ = try await other.transmit(try CommandAPDU(ins: 0xA4, p1: 0x02, p2: 0x0C, data: [0x00, 0x18]))
                return try await other.transmit(
                    try CommandAPDU(ins: 0x20, p1: 0x00, p2: 0x80, data: Array("9999".utf8)))
            }
        }
        // The other client waits for jpkid's transaction (with two transactions it would have
        // got the card between the guard and the VERIFY instead).
        try await Self.waitUntil("the other client waits for the card") { sim.transactions.waiterCount == 1 }
        // jpkid's VERIFY found the 2 tries its guard saw: 1 left, not blocked by surprise.
        await #expect(throws: CardError.wrongPIN(.auth, triesLeft: 1)) { try await operation.value }
        // The other client only got the card afterwards.
        #expect(try await spend.value.statusWord == .verificationFailed(triesLeft: 0))
        let verifies = sim.trace.filter { $0.ins == 0x20 && $0.dataLength > 0 }.map(\.statusWord)
        #expect(verifies == [0x63C1, 0x63C0])
    }

    @Test func aCancelledRequestWaitingForTheCardSendsNoVERIFY() async throws {
        let (sim, card) = try Fixtures.card()
        let other = Self.otherClient(sim)
        // Another client holds the card; jpkid's verify waits for it.
        let holding = AsyncStream<Void>.makeStream()
        let released = AsyncStream<Void>.makeStream()
        let holder = Task {
            try await other.withTransaction(ending: .leaveCard) {
                holding.continuation.yield()
                for await _ in released.stream { break }
            }
        }
        for await _ in holding.stream { break }
        let verify = Task { try await card.verify(try PIN("9999", for: .auth), confirmFinalAttempt: false) }
        try await Self.waitUntil("jpkid waits for the card") { sim.transactions.waiterCount == 1 }
        verify.cancel()
        released.continuation.yield()
        try await holder.value
        await #expect(throws: CancellationError.self) { try await verify.value }
        #expect(!sim.trace.contains { $0.ins == 0x20 && $0.dataLength > 0 })
        #expect(sim.image.remainingTries(0x0018, in: "jpki") == 3)
    }

    @Test func isoStyleCardsThatAnswer9000WhenVerifiedWorkToo() async throws {
        let (sim, card) = try Fixtures.card { $0.isoVerifyStatus = true }
        try await card.verify(try PIN("1234", for: .auth), confirmFinalAttempt: false)
        try await card.verify(try PIN("1234", for: .auth), confirmFinalAttempt: false)
        #expect(try await card.pinStatus(.auth).remaining == 3)
        #expect(sim.trace.filter { $0.ins == 0x20 && $0.dataLength > 0 }.count == 2)
    }
}

/// A transport that ends every transaction with `SCARD_LEAVE_CARD`, whatever it is asked:
/// what jpkid did before a PIN session and its guard ran in one transaction ended by a reset.
/// The old jpkid's ending: the transaction ends with SCARD_LEAVE_CARD, and nothing after the
/// work reaches the card: no power cycle, and none of the closing checks or SELECTs (they are
/// answered `90 00` here without reaching the card). The card keeps whatever was verified.
final class LeavingTransport: CardTransport {
    let inner: SimulatedCardTransport
    /// Set by `powerCycle()`: from then on until the transaction ends, nothing reaches the card.
    private let closing = Mutex(false)

    init(inner: SimulatedCardTransport) { self.inner = inner }

    func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU {
        if closing.withLock({ $0 }) { return ResponseAPDU(data: [], statusWord: .success) }
        return try await inner.transmit(command)
    }
    var extendedLength: ExtendedLengthSupport { inner.extendedLength }
    func withTransaction<T: Sendable>(ending: TransactionEnd, _ body: @Sendable () async throws -> T)
        async throws -> T
    {
        closing.withLock { $0 = false }
        defer { closing.withLock { $0 = false } }
        return try await inner.withTransaction(ending: .leaveCard, body)
    }
    func powerCycle() async throws { closing.withLock { $0 = true } }
    func forgetPowerCycle() {}
}
