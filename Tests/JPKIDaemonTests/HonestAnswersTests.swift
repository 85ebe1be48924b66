import CardSimulator
import ErrorCodes
import Foundation
import JPKIAPI
import Testing

@testable import JPKIDaemon

/// Once a PIN is on its way to the card, the client gets the card's answer,
/// never `card_busy` or `cancelled`.
@Suite("Honest answers: no card_busy after a PIN went out", .serialized)
struct HonestAnswersTests {
    /// Another client holds the card for `hold`, while a wrong PIN waits for it on a slow card;
    /// returns the answer's code and whether a VERIFY with the PIN reached the card.
    static func attempt(_ d: DaemonFixture, hold: Duration) async throws -> (code: ErrorCode?, spent: Bool) {
        let sim = d.source.card
        let before = sim.trace.filter { $0.ins == 0x20 && $0.dataLength > 0 }.count
        let cardId = try await d.currentCardID()
        try await sim.transactions.lock()
        let request = Task {
            try await d.request(
                "POST", "/v1/card/pins/auth/verify",
                json: #"{"pin":"9999","confirmFinalAttempt":true,"cardId":"\#(cardId)"}"#)
        }
        // The hold is timed from the moment the request waits for the card: its deadline began
        // just before, whatever the request's way there took (a loaded runner).
        try await d.eventually("the request waits for the card") { sim.transactions.waiting > 0 }
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
            // From well inside the deadline (the VERIFY goes out in time, with room for a loaded
            // machine: in parallel with the other suites the way to the VERIFY took over 90 ms) to
            // well past it (the request gives up before its VERIFY), around the 500 ms deadline.
            for step in 0..<32 {
                let hold = Duration.milliseconds(200 + 12 * step)
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

    @Test func theCounterFollowsAlsoWhenTheCardStaysBusyLongerThanOneTimeout() async throws {
        // The VERIFY answers only after 4 card timeouts, and then 6F 00 (which does not tell
        // whether a try went); the card is then held by another client for 2.5 card timeouts
        // more (as a hung transmit holds the reader's queue). The counter still follows.
        let fixture = try DaemonFixture { $0.cardTimeoutSeconds = 0.5 }
        try await DaemonFixture.with(fixture) { d in
            let events = PowerCycleAPITests.Events(d.daemon.events)
            let sim = d.source.card
            sim.faults.delayPINCommands = .seconds(2)
            sim.faults.pinCommandStatus = .noPreciseDiagnosis
            let response = try await d.request("POST", "/v1/card/pins/auth/verify", json: #"{"pin":"9999"}"#)
            #expect(d.error(response)?.code == .outcomeUnknown)
            // Queued behind the lost operation's transaction (first in line), then held.
            let held = Task {
                try await sim.transactions.lock()
                try await Task.sleep(for: .milliseconds(1250))
                sim.transactions.unlock()
            }
            try await held.value
            sim.faults.delayPINCommands = .zero
            try await d.eventually("the counter is told") {
                events.seen.contains { $0.type == "pin-counter" && $0.pin == "auth" && $0.remaining == 3 }
            }
            events.task.cancel()
        }
    }

    @Test func aRightPINStoppedAfterItsVerifyStillCountsAsVerified() async throws {
        // The sign request's deadline passes while its right PIN is at the card: the client gets
        // the error, and the counter (2 after a wrong PIN) is known full again.
        let fixture = try DaemonFixture { $0.cardTimeoutSeconds = 0.5 }
        try await DaemonFixture.with(fixture) { d in
            let events = PowerCycleAPITests.Events(d.daemon.events)
            let wrong = try await d.request("POST", "/v1/card/pins/auth/verify", json: #"{"pin":"9999"}"#)
            #expect(d.error(wrong)?.remaining == 2)
            d.source.card.faults.delayPINCommands = .milliseconds(700)
            let response = try await d.request(
                "POST", "/v1/card/sign", json: #"{"key":"auth","pin":"1234","data":"AAAA"}"#)
            #expect(d.error(response)?.code == .timeout, "\(String(decoding: response.body, as: UTF8.self))")
            try await d.eventually("the pin-verified event") {
                events.seen.contains { $0.type == "pin-verified" && $0.pin == "auth" && $0.remaining == 3 }
            }
            let list = try APIJSON.decoder().decode(
                ReaderList.self, from: try await d.request("GET", "/v1/readers").body)
            #expect(list.readers.first?.card?.pins[.auth]?.remaining == 3)
            let metrics = String(decoding: try await d.request("GET", "/v1/metrics").body, as: UTF8.self)
            #expect(metrics.contains(#"jpkid_pin_verifications_total{pin="auth",result="verified"} 1"#), "\(metrics)")
            events.task.cancel()
        }
    }
}
