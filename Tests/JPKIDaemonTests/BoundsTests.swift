import CardSimulator
import ErrorCodes
import Foundation
import JPKIAPI
import JPKIClient
import Synchronization
import Testing

@testable import JPKIDaemon

/// Every wait and every buffer is bounded; input is strict.
@Suite("Bounded resources and strict input", .serialized)
struct BoundsTests {
    /// Reads what the server sends until it closes (or `limit` bytes), at most `seconds`.
    func readAll(_ fd: Int32, seconds: Int = 10, limit: Int = 1 << 16) -> String {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var collected: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while collected.count < limit {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, 4096, 0) }
            guard n > 0 else { break }
            collected += buffer.prefix(n)
        }
        return String(decoding: collected, as: UTF8.self)
    }

    @Test func aCardHeldByAnotherProgramAnswersCardBusyInTimeAndSendsNoPIN() async throws {
        let fixture = try DaemonFixture { $0.cardTimeoutSeconds = 1 }
        try await DaemonFixture.with(fixture) { d in
            let sim = d.source.card
            try await sim.transactions.lock()
            let start = ContinuousClock.now
            let response = try await d.request("POST", "/v1/card/pins/auth/verify", json: #"{"pin":"9999"}"#)
            let waited = ContinuousClock.now - start
            #expect(response.status == 503)
            #expect(d.error(response)?.code == .cardBusy)
            #expect(waited < .seconds(8))  // the timeout is 1 s; generous for a loaded machine
            // Health answers meanwhile.
            #expect(try await d.request("GET", "/v1/health").status == 200)
            sim.transactions.unlock()
            _ = try await d.request("GET", "/v1/card?refresh=true")
            #expect(!sim.trace.contains { $0.ins == 0x20 && $0.dataLength > 0 })
        }
    }

    @Test func theConnectionCapPerUserAnswers503AndFreesItsSlots() async throws {
        let fixture = try DaemonFixture { $0.maxConnectionsPerUser = 4 }
        try await DaemonFixture.with(fixture) { d in
            var open: [Int32] = []
            for _ in 0..<4 {
                // A keep-alive request answered: the connection is admitted and stays open.
                let fd = try openRequest(d.socketPath, "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
                var timeout = timeval(tv_sec: 10, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                var buffer = [UInt8](repeating: 0, count: 4096)
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, 4096, 0) }
                let answer = String(decoding: buffer.prefix(max(0, n)), as: UTF8.self)
                #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer)")
                open.append(fd)
            }
            // The fifth from this user is refused at once.
            let fifth = try openRequest(d.socketPath, "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
            let refused = readAll(fifth)
            close(fifth)
            #expect(refused.hasPrefix("HTTP/1.1 503"))
            #expect(refused.contains("too_many_connections"))
            open.forEach { close($0) }
            try await d.eventually("the slots are free again") {
                try await d.request("GET", "/v1/health").status == 200
            }
        }
    }

    @Test func aRequestThatArrivesTooSlowlyIsCutAndAnIdleConnectionClosed() async throws {
        let fixture = try DaemonFixture {
            $0.headerTimeoutSeconds = 1
            $0.idleTimeoutSeconds = 1
        }
        try await DaemonFixture.with(fixture) { d in
            let slow = try openRequest(d.socketPath, "GET /v1/health HTTP/1.1\r\nX-Slow: ")
            let start = ContinuousClock.now
            #expect(readAll(slow, seconds: 30).isEmpty)  // closed without an answer
            #expect(ContinuousClock.now - start < .seconds(15))  // 1 s, and room for a loaded machine
            close(slow)
            let idle = try openRequest(d.socketPath, "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
            let answered = ContinuousClock.now
            let answer = readAll(idle, seconds: 30)  // the answer, then the close after the idle timeout
            close(idle)
            #expect(answer.hasPrefix("HTTP/1.1 200"))
            // readAll returned because the server closed, well before its own 30 s limit.
            #expect(ContinuousClock.now - answered < .seconds(20))
        }
    }

    @Test func tooManyOrTooLargeHeadersAreRefused() async throws {
        try await DaemonFixture.with(try DaemonFixture()) { d in
            let many = (0..<100).map { "X-\($0): y\r\n" }.joined()
            let fd = try openRequest(d.socketPath, "GET /v1/health HTTP/1.1\r\n\(many)\r\n")
            let answer = readAll(fd)
            close(fd)
            #expect(answer.hasPrefix("HTTP/1.1 4"))
            let huge = try openRequest(
                d.socketPath, "GET /v1/health HTTP/1.1\r\nX-Big: \(String(repeating: "a", count: 1 << 20))\r\n\r\n")
            let answerHuge = readAll(huge)
            close(huge)
            #expect(!answerHuge.hasPrefix("HTTP/1.1 200"))
            #expect(try await d.request("GET", "/v1/health").status == 200)
        }
    }

    @Test func duplicateKeysAndEmptyOrBrokenBase64AreBadRequests() async throws {
        try await DaemonFixture.with(try DaemonFixture()) { d in
            let before = d.source.card.apduCount
            for body in [
                #"{"pin":"9999","pin":"1234"}"#,
                #"{"pin":"1234","p\u0069n":"9999"}"#,
                #"{"key":"auth","pin":"1234","data":"===="}"#,
                #"{"key":"auth","pin":"1234","data":""}"#,
                #"{"key":"auth","pin":"1234","digest":"not base64!"}"#,
            ] {
                let path = body.contains("\"key\"") ? "/v1/card/sign" : "/v1/card/pins/auth/verify"
                let response = try await d.request("POST", path, json: body)
                #expect(response.status == 400, "\(body)")
                #expect(d.error(response)?.code == .badRequest, "\(body)")
            }
            #expect(d.source.card.apduCount == before)
        }
    }

    /// Opens a raw event stream (with `Last-Event-ID` when given) and reads until `until` shows up.
    func rawEvents(_ d: DaemonFixture, lastEventID: String? = nil, until: String) throws -> String {
        let header = lastEventID.map { "Last-Event-ID: \($0)\r\n" } ?? ""
        let fd = try openRequest(d.socketPath, "GET /v1/events HTTP/1.1\r\nHost: x\r\n\(header)\r\n")
        defer { close(fd) }
        return readUntil(fd, until)
    }

    @Test func eventStreamsReplayWhatAReconnectingClientMissed() async throws {
        try await DaemonFixture.with(try DaemonFixture()) { d in
            // An event, and its id as the stream numbered it.
            d.daemon.events.publish(EventView(type: "pcsc-unavailable"))
            let seen = try await onThread { [d] in try self.rawEvents(d, lastEventID: "0", until: "pcsc-unavailable") }
            let id = try #require(
                // (Split on Character newlines: "\r\n" of the chunked framing is one Character.)
                seen.split(whereSeparator: \.isNewline).last { $0.hasPrefix("id: ") }.flatMap {
                    UInt64($0.dropFirst(4))
                })
            // Two more while the client is away; it reconnects with the id it saw last.
            d.daemon.events.publish(EventView(type: "reader-added"))
            d.daemon.events.publish(EventView(type: "pcsc-restored"))
            let text = try await onThread { [d] in try self.rawEvents(d, lastEventID: "\(id)", until: "pcsc-restored") }
            #expect(text.contains("id: \(id + 1)\nevent: reader-added"))
            #expect(text.contains("id: \(id + 2)\nevent: pcsc-restored"))
            #expect(!text.contains("event: pcsc-unavailable"))
            // An id the bus never gave, however large, is an overflow, not a crash.
            for bogus in ["18446744073709551615", "\(id + 100)"] {
                let answer = try await onThread { [d] in try self.rawEvents(d, lastEventID: bogus, until: "overflow") }
                #expect(answer.contains("event: overflow"), "\(bogus)")
            }
            #expect(try await d.request("GET", "/v1/health").status == 200)
        }
    }
}

@Suite("Event bus")
struct EventBusTests {
    @Test func aSubscriberThatFallsBehindGetsOverflowAndItsStreamEnds() async {
        let bus = EventBus(queueSize: 8, ringSize: 16)
        let stream = bus.subscribe()
        for i in 0..<100 { bus.publish(EventView(type: "e\(i)")) }
        var received: [EventBus.Item] = []
        for await item in stream { received.append(item) }
        #expect(received.count == 9)
        #expect(received.last == .overflow)
        #expect(bus.subscriberCount == 0)
    }

    @Test func subscribingAfterShutdownEndsTheStreamWithoutACrash() async {
        let bus = EventBus()
        bus.finishAll()
        var iterator = bus.subscribe().makeAsyncIterator()
        #expect(await iterator.next() == nil)
        var huge = bus.subscribe(after: .max).makeAsyncIterator()
        #expect(await huge.next() == nil)
    }

    @Test func lastEventIDReplaysFromTheRingOrSaysOverflow() async {
        let bus = EventBus(queueSize: 8, ringSize: 4)
        for i in 0..<6 { bus.publish(EventView(type: "e\(i)")) }  // ids 1...6; the ring keeps 3...6
        var iterator = bus.subscribe(after: 4).makeAsyncIterator()
        guard case .event(5, _) = await iterator.next(), case .event(6, _) = await iterator.next() else {
            Issue.record("expected events 5 and 6")
            return
        }
        var lost = bus.subscribe(after: 1).makeAsyncIterator()
        #expect(await lost.next() == .overflow)
        bus.finishAll()
        #expect(await iterator.next() == nil)
    }
}

@Suite("Log escaping and strict base64")
struct EscapingTests {
    @Test func controlCharactersCannotForgeALogLine() {
        #expect(JournalLogHandler.escape("/v1/x\n<3>forged") == #"/v1/x\n<3>forged"#)
        #expect(JournalLogHandler.escape("a\u{0}b\u{1B}[31m\u{7F}") == #"a\x00b\x1B[31m\x7F"#)
        #expect(JournalLogHandler.escape("日本\\") == #"日本\\"#)
    }

    @Test func strictBase64() {
        #expect(APIHandler.strictBase64("AQI=") == [1, 2])
        #expect(APIHandler.strictBase64("AQI") == [1, 2])
        for bad in ["", "====", "A", "A===", "AQI=x", "AQ I=", "****"] {
            #expect(APIHandler.strictBase64(bad) == nil, "\(bad)")
        }
    }

    @Test func duplicateKeysAreFoundAfterUnescaping() {
        #expect(JSONDuplicateKey.first(in: Array(#"{"a":1,"b":{"a":2}}"#.utf8)) == nil)
        #expect(JSONDuplicateKey.first(in: Array(#"{"a":1,"\u0061":2}"#.utf8)) == "a")
        #expect(JSONDuplicateKey.first(in: Array(#"{"x":["a","a"],"y":{"k":1,"k":2}}"#.utf8)) == "k")
        #expect(JSONDuplicateKey.first(in: Array(#"{"s":"\"a\":1","a":2}"#.utf8)) == nil)
    }
}
