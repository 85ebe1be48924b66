import CardSimulator
import ErrorCodes
import Foundation
import JPKIAPI
import Testing

@testable import JPKIDaemon

/// Issue 19, point 3: once a PIN is on its way to the card, the client gets the card's answer,
/// never `card_busy` or `cancelled`.
@Suite("Honest answers: no card_busy after a PIN went out", .serialized)
struct HonestAnswersTests {
    /// Another client holds the card for `hold`, while a wrong PIN waits for it on a slow card;
    /// returns the answer's code and whether a VERIFY with the PIN reached the card.
    static func attempt(_ d: DaemonFixture, hold: Duration) async throws -> (code: ErrorCode?, spent: Bool) {
        let sim = d.source.card
        let before = sim.trace.filter { $0.ins == 0x20 && $0.dataLength > 0 }.count
        try await sim.transactions.lock()
        let request = Task {
            try await d.request(
                "POST", "/v1/card/pins/auth/verify", json: #"{"pin":"9999","confirmFinalAttempt":true}"#)
        }
        // The hold time is what this test sweeps.
        try await Task.sleep(for: hold)
        sim.transactions.unlock()
        let response = try await request.value
        // Whatever jpkid still does with the card happens in its transaction: wait for it.
        try await sim.transactions.lock()
        sim.transactions.unlock()
        let after = sim.trace.filter { $0.ins == 0x20 && $0.dataLength > 0 }.count
        return (response.status == 200 ? nil : d.error(response)?.code, after > before)
    }

    @Test func aSweepAcrossTheDeadlineFindsNoBusyAnswerWithATrySpent() async throws {
        // A 0.5 s card timeout and 20 ms per APDU keep the sweep short; the holds cross the
        // moment the VERIFY would go out at the deadline (3 APDUs after the card is free).
        let fixture = try DaemonFixture { $0.cardTimeoutSeconds = 0.5 }
        fixture.source.card.faults.endlessTries = true
        try await DaemonFixture.with(fixture) { d in
            d.source.card.faults.delayPerAPDU = .milliseconds(20)
            var tally: [String: Int] = [:]
            var dishonest = 0
            var spentAtAll = 0
            for step in 0..<32 {
                let hold = Duration.milliseconds(360 + 5 * step)
                let (code, spent) = try await Self.attempt(d, hold: hold)
                let label = "\(code?.rawValue ?? "ok")\(spent ? "+spent" : "")"
                tally[label, default: 0] += 1
                if spent { spentAtAll += 1 }
                if spent, code == .cardBusy || code == .cancelled { dishonest += 1 }
            }
            print("honest-answers sweep: \(tally.sorted { $0.key < $1.key })")
            #expect(dishonest == 0, "\(tally)")
            // The sweep did cross the window: some attempts sent their PIN, some never reached the card.
            #expect(spentAtAll > 0, "\(tally)")
            #expect(tally.keys.contains("card_busy"), "\(tally)")
        }
    }

    @Test func aTransmitThatNeverAnswersGivesOutcomeUnknownAndTheCounterFollows() async throws {
        let fixture = try DaemonFixture { $0.cardTimeoutSeconds = 0.5 }
        try await DaemonFixture.with(fixture) { d in
            let events = PowerCycleAPITests.Events(d.daemon.events)
            // The card takes 2 s to answer the VERIFY: the PIN is out, and its answer comes too late.
            d.source.card.faults.delayPINCommands = .seconds(2)
            let started = ContinuousClock.now
            let response = try await d.request("POST", "/v1/card/pins/auth/verify", json: #"{"pin":"9999"}"#)
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(d.error(response)?.code == .outcomeUnknown)
            #expect(d.error(response)?.remaining == nil)
            #expect(response.status == 504)
            // Once the card answers again, the counter follows in an event (or in the operation's own).
            try await d.eventually("the counter is told") {
                events.seen.contains { ["pin-counter", "pin-failed"].contains($0.type) && $0.remaining == 2 }
            }
            events.task.cancel()
        }
    }
}
