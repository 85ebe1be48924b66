import CardSimulator
import ErrorCodes
import Foundation
import JPKIAPI
import JPKIDaemonSimulation
import JPKIStaff
import Synchronization
import Testing

@testable import JPKIDaemon

/// Through the API: a reader that does not power the card down is found by the check
/// after a PIN session's power cycle, marked, and refused from then on.
@Suite("Unsafe readers and the power-cycle check through the API", .serialized)
struct PowerCycleAPITests {
    /// Collects every event the daemon publishes.
    final class Events: Sendable {
        final class Log: Sendable {
            let all = Mutex<[EventView]>([])
        }
        let log = Log()
        let task: Task<Void, Never>
        init(_ bus: EventBus) {
            let stream = bus.subscribe()
            let log = self.log
            task = Task {
                for await item in stream {
                    if case .event(_, let event) = item { log.all.withLock { $0.append(event) } }
                }
            }
        }
        var seen: [EventView] { log.all.withLock { $0 } }
        var types: [String] { seen.map(\.type) }
    }

    @Test func aReaderThatKeepsTheStateIsMarkedAndRefusedUntilUnplugged() async throws {
        try await DaemonFixture.with(try DaemonFixture()) { d in
            let events = Events(d.daemon.events)
            let sim = d.source.card
            sim.power.readerKeepsState = true
            // A wrong PIN verifies nothing, yet the selection check sees the AP still selected.
            let wrong = try await d.request("POST", "/v1/card/pins/auth/verify", json: #"{"pin":"9999"}"#)
            #expect(wrong.status == 401)
            #expect(d.error(wrong)?.code == .wrongPIN)
            #expect(d.error(wrong)?.remaining == 2)
            #expect(d.error(wrong)?.readerUnsafe == true)
            // The reader view carries the mark; its state does not change.
            let list = try APIJSON.decoder().decode(
                ReaderList.self, from: try await d.request("GET", "/v1/readers").body)
            let view = try #require(list.readers.first)
            #expect(view.state == .ready)
            #expect(view.unsafe?.reason.contains("still selected") == true)
            let findings = Diagnosis(language: .english).readerFindings(for: view)
            #expect(findings.first?.summary.contains(SimulatedCardSource.readerName) == true)
            #expect(Diagnosis(language: .japanese).readerFindings(for: view).count == 1)
            // Every later PIN operation is refused before anything reaches the card.
            let served = sim.apduCount
            for (path, body) in [
                ("/v1/card/pins/auth/verify", #"{"pin":"1234"}"#),
                ("/v1/card/sign", #"{"key":"auth","pin":"1234","data":"AAAA"}"#),
                ("/v1/card/card-text", #"{"pin":"1234"}"#),
            ] {
                let refused = try await d.request("POST", path, json: body)
                #expect(refused.status == 409, "\(path)")
                #expect(d.error(refused)?.code == .readerUnsafe, "\(path)")
            }
            #expect(sim.apduCount == served)
            // Event, metric and log line.
            try await d.eventually("the reader-unsafe event") { events.types.contains("reader-unsafe") }
            let metrics = String(decoding: try await d.request("GET", "/v1/metrics").body, as: UTF8.self)
            #expect(metrics.contains("jpkid_readers_unsafe 1"))
            #expect(metrics.contains(#"jpkid_power_cycle_checks_total{result="state_kept"} 1"#))
            #expect(d.log.text.contains("reader does not power the card down"))
            // A new card on the same reader: still refused.
            d.source.removeCard()
            d.source.insertCard()
            try await d.eventually("the new card is read") {
                let list = try APIJSON.decoder().decode(
                    ReaderList.self, from: try await d.request("GET", "/v1/readers").body)
                return list.readers.first?.state == .ready
            }
            let again = try await d.request("POST", "/v1/card/pins/auth/verify", json: #"{"pin":"1234"}"#)
            #expect(d.error(again)?.code == .readerUnsafe)
            events.task.cancel()
        }
    }

    @Test func aSuccessOnAnUnsafeReaderStillAnswersTheCardsResult() async throws {
        try await DaemonFixture.with(try DaemonFixture()) { d in
            d.source.card.power.readerKeepsState = true
            let response = try await d.request("POST", "/v1/card/pins/sign/verify", json: #"{"pin":"ABC123"}"#)
            #expect(response.status == 200)
            let body = String(decoding: response.body, as: UTF8.self)
            #expect(body.contains(#""readerUnsafe":true"#))
            #expect(try APIJSON.decoder().decode(VerifyResponse.self, from: response.body).result == "verified")
        }
    }

    @Test func aPhotoOnAnUnsafeReaderIsMarkedInAHeaderAndLeftWhole() async throws {
        try await DaemonFixture.with(try DaemonFixture()) { d in
            let json = try await d.request("POST", "/v1/card/card-face", json: #"{"pinB":"02010220355678"}"#)
            let face = try APIJSON.decoder().decode(CardFaceResponse.self, from: json.body)
            d.source.card.power.readerKeepsState = true
            let photo = try await d.request(
                "POST", "/v1/card/card-face?part=photo", json: #"{"pinB":"02010220355678"}"#)
            #expect(photo.status == 200)
            #expect(photo.headers["content-type"] == "image/jp2")
            #expect(photo.headers["jpki-reader-unsafe"] == "true")
            #expect(photo.body == Data(base64Encoded: try #require(face.photo)))
        }
    }

    @Test func theReaderUnsafeMemberGoesOnlyIntoAJSONObject() {
        let marked = OperationReport.addingReaderUnsafe(to: Array(#" {"a":1}"#.utf8), contentType: "application/json")
        #expect(marked.map { String(decoding: $0, as: UTF8.self) } == #" {"readerUnsafe":true,"a":1}"#)
        let empty = OperationReport.addingReaderUnsafe(
            to: Array("{}".utf8), contentType: "application/json; charset=utf-8")
        #expect(empty.map { String(decoding: $0, as: UTF8.self) } == #"{"readerUnsafe":true}"#)
        // A JP2 file holding a `{` byte, and JSON that is not an object, stay as they are.
        #expect(OperationReport.addingReaderUnsafe(to: [0, 0, 0, 0x0C, 0x7B, 0x50], contentType: "image/jp2") == nil)
        #expect(
            OperationReport.addingReaderUnsafe(to: Array(#"[{"a":1}]"#.utf8), contentType: "application/json") == nil)
    }

    @Test func aRealPowerCycleLeavesTheReaderUnmarked() async throws {
        try await DaemonFixture.with(try DaemonFixture()) { d in
            for _ in 0..<2 {
                let response = try await d.request("POST", "/v1/card/pins/sign/verify", json: #"{"pin":"ABC123"}"#)
                #expect(response.status == 200)
                #expect(!String(decoding: response.body, as: UTF8.self).contains("readerUnsafe"))
            }
            let list = String(decoding: try await d.request("GET", "/v1/readers").body, as: UTF8.self)
            #expect(!list.contains("unsafe"))
            let metrics = String(decoding: try await d.request("GET", "/v1/metrics").body, as: UTF8.self)
            #expect(metrics.contains(#"jpkid_power_cycle_checks_total{result="closed"} 2"#))
            #expect(!d.source.card.hasVerifiedPIN)
        }
    }

    @Test func aReadThatFailsWith6F00IsTriedOnceMoreAfterAPowerCycle() async throws {
        // The first SELECT and its one retry both answer 6F 00: the read fails, the card is
        // power-cycled and read again, and only a second failure would be card_error.
        let fixture = try DaemonFixture()
        fixture.source.card.faults.answer6F00 = 2
        fixture.source.card.clearControlLog()
        try await DaemonFixture.with(fixture) { d in
            let list = try APIJSON.decoder().decode(
                ReaderList.self, from: try await d.request("GET", "/v1/readers").body)
            #expect(list.readers.first?.state == .ready)
            #expect(d.source.card.trace.prefix(3).map(\.statusWord) == [0x6F00, 0x6F00, 0x9000])
            #expect(d.source.card.controlLog == [0, 1])
        }
        // Four in a row: then it is a card error.
        let broken = try DaemonFixture()
        broken.source.card.faults.answer6F00 = 4
        try await DaemonFixture.with(broken) { d in
            let list = try APIJSON.decoder().decode(
                ReaderList.self, from: try await d.request("GET", "/v1/readers").body)
            #expect(list.readers.first?.state == .error)
            #expect(list.readers.first?.error?.code == .cardError)
        }
    }

    @Test func aCardThatAnswers6F00AfterPowerUpIsReadAndVerified() async throws {
        let fixture = try DaemonFixture()
        fixture.source.card.power.powerUp6F00 = true
        fixture.source.card.insert()
        try await DaemonFixture.with(fixture) { d in
            let list = try APIJSON.decoder().decode(
                ReaderList.self, from: try await d.request("GET", "/v1/readers").body)
            #expect(list.readers.first?.state == .ready)
            #expect(d.source.card.trace.first?.statusWord == 0x6F00)
            let response = try await d.request("POST", "/v1/card/pins/auth/verify", json: #"{"pin":"1234"}"#)
            #expect(response.status == 200)
            #expect(!String(decoding: response.body, as: UTF8.self).contains("readerUnsafe"))
        }
    }
}
