import CardSimulator
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
            #expect(d.error(response)?.code == "card_busy")
            #expect(waited < .seconds(3))
            // Health answers meanwhile.
            #expect(try await d.request("GET", "/v1/health").status == 200)
            sim.transactions.unlock()
            _ = try await d.request("GET", "/v1/card?refresh=true")
            #expect(!sim.trace.contains { $0.ins == 0x20 && $0.dataLength > 0 })
        }
    }

    @Test func theConnectionCapPerClientAnswers503AndFreesItsSlots() async throws {
        let fixture = try DaemonFixture { $0.maxConnectionsPerClient = 4 }
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
            // The fifth from this process is refused at once.
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
            $0.headerTimeoutSeconds = 0.5
            $0.idleTimeoutSeconds = 1
        }
        try await DaemonFixture.with(fixture) { d in
            let slow = try openRequest(d.socketPath, "GET /v1/health HTTP/1.1\r\nX-Slow: ")
            let start = ContinuousClock.now
            #expect(readAll(slow).isEmpty)  // closed without an answer
            #expect(ContinuousClock.now - start < .seconds(5))
            close(slow)
            let idle = try openRequest(d.socketPath, "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
            let answer = readAll(idle)  // the answer, then the close after the idle timeout
            close(idle)
            #expect(answer.hasPrefix("HTTP/1.1 200"))
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
                #expect(d.error(response)?.code == "bad_request", "\(body)")
            }
            #expect(d.source.card.apduCount == before)
        }
    }

    @Test func eventStreamsReplayWhatAReconnectingClientMissed() async throws {
        try await DaemonFixture.with(try DaemonFixture()) { d in
            let client = d.client
            let (opened, open) = AsyncStream.makeStream(of: Void.self)
            // Read one event, remember its id.
            let first = try await withThrowingTaskGroup(of: String.self) { group in
                group.addTask {
                    try await onThread {
                        var id = ""
                        _ = try client.events("/v1/events", onOpen: { open.yield() }) { _, data in
                            id = data
                            return false
                        }
                        return id
                    }
                }
                for await _ in opened { break }
                _ = try await d.request("POST", "/v1/card/pins/auth/verify", json: #"{"pin":"9999"}"#)
                return try await group.next()!
            }
            #expect(first.contains("pin-failed"))
            // Two more events while disconnected, then a reconnect with the raw stream.
            _ = try await d.request("POST", "/v1/card/pins/auth/verify", json: #"{"pin":"1234"}"#)
            d.daemon.events.publish(EventView(type: "pcsc-restored"))
            let fd = try openRequest(
                d.socketPath, "GET /v1/events HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 1\r\n\r\n")
            defer { close(fd) }
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var text = ""
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !text.contains("pcsc-restored") {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, 4096, 0) }
                guard n > 0 else { break }
                text += String(decoding: buffer.prefix(n), as: UTF8.self)
            }
            #expect(text.contains("event: pin-verified"))
            #expect(text.contains("event: pcsc-restored"))
            #expect(text.contains("\nid: "))
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
        #expect(JSONKeys.duplicate(in: Array(#"{"a":1,"b":{"a":2}}"#.utf8)) == nil)
        #expect(JSONKeys.duplicate(in: Array(#"{"a":1,"\u0061":2}"#.utf8)) == "a")
        #expect(JSONKeys.duplicate(in: Array(#"{"x":["a","a"],"y":{"k":1,"k":2}}"#.utf8)) == "k")
        #expect(JSONKeys.duplicate(in: Array(#"{"s":"\"a\":1","a":2}"#.utf8)) == nil)
    }
}
