import Foundation
import JPKIAPI
import Logging
import Testing

@testable import JPKIDaemon

/// An event stream's keep-alive comments come from the event loop (the stream has no task of its
/// own for them), and a client that leaves ends its subscription even when no event comes.
@Suite("Event stream keep-alive", .serialized)
struct EventStreamKeepAliveTests {
    @Test func keepAlivesArriveAndALeavingClientEndsItsSubscription() async throws {
        try await DaemonFixture.with(try DaemonFixture(statusGroup: nil)) { d in
            // A second server on the fixture's registry and bus, with a keep-alive every 100 ms.
            var limits = HTTPServer.Limits()
            limits.eventKeepAlive = .milliseconds(100)
            let handler = APIHandler(
                registry: d.daemon.registry, events: d.daemon.events,
                policy: PolicyStore(AccessPolicy(statusGroup: nil, operatorGroup: nil)),
                logger: Logger(label: "keep-alive-test"))
            let path = d.directory.appendingPathComponent("keep-alive.sock").path
            let server = HTTPServer(handler: handler, limits: limits, logger: Logger(label: "keep-alive-test"))
            let serving = Task { try await server.run(.path(path, socketGroup: nil)) }
            defer { serving.cancel() }
            try await d.eventually("the second server listens") { FileManager.default.fileExists(atPath: path) }
            let before = d.daemon.events.subscriberCount

            let fd = try openRequest(path, "GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n")
            let text = try await onThread { () -> String in
                var timeout = timeval(tv_sec: 10, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                var text = ""
                var buffer = [UInt8](repeating: 0, count: 4096)
                while text.components(separatedBy: ": keep-alive").count < 3 {
                    let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, 4096, 0) }
                    guard n > 0 else { break }
                    text += String(decoding: buffer.prefix(n), as: UTF8.self)
                }
                return text
            }
            #expect(text.hasPrefix("HTTP/1.1 200"))
            #expect(text.components(separatedBy: ": keep-alive").count >= 3, "two keep-alives: \(text)")
            #expect(d.daemon.events.subscriberCount == before + 1)

            // The client leaves while no event comes: its subscription ends all the same.
            close(fd)
            try await d.eventually("the stream's subscription ends") {
                d.daemon.events.subscriberCount == before
            }
        }
    }
}

/// Connections are served by a handler on their event loop, with no task: a client that stops
/// reading or leaves at once still gives its stream slot back, pipelined requests are answered in
/// order however many wait, and shutdown answers a running request and waits for it.
@Suite("Connections without a task of their own", .serialized)
struct ConnectionLifecycleTests {
    /// Opens `count` event streams at once; how many were answered 200. They are closed after.
    static func openStreams(_ path: String, _ count: Int) async throws -> Int {
        let fds = try (0..<count).map { _ in try openRequest(path, "GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n") }
        defer { fds.forEach { close($0) } }
        var ok = 0
        for fd in fds where try await onThread({ readSome(fd) }).hasPrefix("HTTP/1.1 200") { ok += 1 }
        return ok
    }

    @Test func aClientThatStopsReadingIsCutAndGivesItsSlotBack() async throws {
        try await DaemonFixture.with(try DaemonFixture(statusGroup: nil)) { d in
            let before = d.daemon.events.subscriberCount
            let fd = try openRequest(d.socketPath, "GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n")
            defer { close(fd) }
            try await d.eventually("the stream is subscribed") { d.daemon.events.subscriberCount == before + 1 }
            // About 2 MB of events while the client reads nothing: far beyond the socket buffers
            // and the queue of 64.
            let type = String(repeating: "x", count: 1000)
            for _ in 0..<2000 { d.daemon.events.publish(EventView(type: type)) }
            try await d.eventually("the stream is cut from the bus") { d.daemon.events.subscriberCount == before }
            // The connection closes (2 s after the overflow at the latest): reading meets its end.
            let text = try await onThread { readUntilClosed(fd, seconds: 20) }
            #expect(text.closed, "the stream's connection is closed")
            #expect(text.text.hasPrefix("HTTP/1.1 200"))
            // Its slot is free again: the user's whole share of 8 streams opens.
            #expect(try await Self.openStreams(d.socketPath, 8) == 8)
        }
    }

    @Test func clientsThatLeaveRightAfterAskingForAStreamGiveTheirSlotsBack() async throws {
        try await DaemonFixture.with(try DaemonFixture(statusGroup: nil)) { d in
            let before = d.daemon.events.subscriberCount
            // Twice the user's share of 8, each gone before its stream's first bytes: closed at
            // once, or no longer reading (its first write fails).
            for index in 0..<16 {
                let fd = try openRequest(d.socketPath, "GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n")
                if index.isMultiple(of: 2) { shutdown(fd, Int32(SHUT_RD)) }
                close(fd)
            }
            try await d.eventually("no stream is left subscribed") { d.daemon.events.subscriberCount == before }
            try await d.eventually("the user's whole share of 8 streams opens") {
                (try? await Self.openStreams(d.socketPath, 8)) == 8
            }
        }
    }

    @Test func whatAClientSendsOnItsStreamIsDroppedAndTheStreamGoesOn() async throws {
        try await DaemonFixture.with(try DaemonFixture(statusGroup: nil)) { d in
            let before = d.daemon.events.subscriberCount
            let verifies = d.source.card.trace.filter { $0.ins == 0x20 && $0.dataLength > 0 }.count
            let fd = try openRequest(d.socketPath, "GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n")
            defer { close(fd) }
            try await d.eventually("the stream is subscribed") { d.daemon.events.subscriberCount == before + 1 }
            #expect(try await onThread { readSome(fd) }.hasPrefix("HTTP/1.1 200"))
            // A request, a body with a PIN in it and bytes that are not HTTP, on the stream's
            // connection once its request handling has left the pipeline.
            for text in [
                "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n",
                "POST /v1/card/pins/auth/verify HTTP/1.1\r\ncontent-length: 14\r\n\r\n{\"pin\":\"1234\"}",
                "\u{0}\u{1}garbage\r\n\r\n",
            ] {
                _ = text.utf8CString.withUnsafeBytes { send(fd, $0.baseAddress!, $0.count - 1, 0) }
            }
            d.daemon.events.publish(EventView(type: "after-the-noise"))
            let text = try await onThread { readUntil(fd, "after-the-noise") }
            #expect(text.contains("event: after-the-noise"), "the stream goes on")
            #expect(!text.contains("HTTP/1.1"), "nothing else is answered on it")
            #expect(try await d.request("GET", "/v1/health").status == 200)
            #expect(d.source.card.trace.filter { $0.ins == 0x20 && $0.dataLength > 0 }.count == verifies, "no PIN sent")
        }
    }

    @Test func whatAClientSendsWithItsStreamRequestIsDroppedAndTheStreamGoesOn() async throws {
        try await DaemonFixture.with(try DaemonFixture(statusGroup: nil)) { d in
            let before = d.daemon.events.subscriberCount
            let verifies = d.source.card.trace.filter { $0.ins == 0x20 && $0.dataLength > 0 }.count
            // In the same write: the stream's request, a PIN request behind it and bytes that are
            // not HTTP. They are decoded as the request handling leaves the pipeline.
            let fd = try openRequest(
                d.socketPath,
                "GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "POST /v1/card/pins/auth/verify HTTP/1.1\r\ncontent-length: 14\r\n\r\n{\"pin\":\"1234\"}"
                    + "\u{1}garbage\r\n\r\n")
            defer { close(fd) }
            try await d.eventually("the stream is subscribed") { d.daemon.events.subscriberCount == before + 1 }
            d.daemon.events.publish(EventView(type: "after-the-noise"))
            let text = try await onThread { readUntil(fd, "after-the-noise") }
            #expect(text.hasPrefix("HTTP/1.1 200"))
            #expect(text.contains("event: after-the-noise"), "the stream goes on")
            #expect(text.components(separatedBy: "HTTP/1.1").count == 2, "nothing else is answered on it")
            #expect(d.daemon.events.subscriberCount == before + 1)
            #expect(d.source.card.trace.filter { $0.ins == 0x20 && $0.dataLength > 0 }.count == verifies, "no PIN sent")
        }
    }

    @Test func pipelinedRequestsBehindARunningOneAreAnsweredInOrder() async throws {
        try await DaemonFixture.with(try DaemonFixture(statusGroup: nil)) { d in
            // Health runs in a task; 3,000 requests wait behind it in the same read. Each is
            // answered after the one before, not from inside its write.
            let count = 3000
            let request =
                "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n"
                + String(repeating: "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", count: count)
            let fd = try openRequest(d.socketPath, request)
            defer { close(fd) }
            let text = try await onThread { () -> String in
                var timeout = timeval(tv_sec: 20, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                var collected: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 65536)
                var answers = 0
                while answers < count + 1 {
                    let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, 65536, 0) }
                    guard n > 0 else { break }
                    collected += buffer.prefix(n)
                    answers = String(decoding: collected, as: UTF8.self).components(separatedBy: "HTTP/1.1 ").count - 1
                }
                return String(decoding: collected, as: UTF8.self)
            }
            #expect(text.hasPrefix("HTTP/1.1 200"), "the running request is answered first")
            #expect(text.components(separatedBy: "HTTP/1.1 404").count - 1 == count)
            let health = try await d.request("GET", "/v1/health")
            #expect(health.status == 200, "the daemon still serves")
        }
    }

    @Test func aClientThatPipelinesAndHalfClosesGetsEveryAnswer() async throws {
        try await DaemonFixture.with(try DaemonFixture(statusGroup: nil)) { d in
            let fd = try openRequest(
                d.socketPath,
                "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/readers HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /v1/openapi.json HTTP/1.1\r\nHost: x\r\n\r\n")
            defer { close(fd) }
            shutdown(fd, Int32(SHUT_WR))
            let answer = try await onThread { readUntilClosed(fd, seconds: 10) }
            #expect(answer.closed)
            #expect(answer.text.components(separatedBy: "HTTP/1.1 200").count - 1 == 3, "\(answer.text.prefix(200))")
            // The last answer (the document, over 32 KB) arrives whole.
            let document = try await d.request("GET", "/v1/openapi.json")
            let whole = answer.text.hasSuffix(String(decoding: document.body, as: UTF8.self))
            #expect(whole, "the document arrives whole")
        }
    }

    @Test func shutdownAnswersTheRunningRequestEndsStreamsAndWaitsForThem() async throws {
        try await DaemonFixture.with(try DaemonFixture(statusGroup: nil)) { d in
            let bus = EventBus()
            let handler = APIHandler(
                registry: d.daemon.registry, events: bus,
                policy: PolicyStore(AccessPolicy(statusGroup: nil, operatorGroup: nil)),
                logger: Logger(label: "shutdown-test"))
            let path = d.directory.appendingPathComponent("shutdown.sock").path
            // A grace far beyond the card read's second or so: a loaded machine must not make
            // the read outlast it.
            var limits = HTTPServer.Limits()
            limits.shutdownGrace = .seconds(20)
            let server = HTTPServer(handler: handler, limits: limits, logger: Logger(label: "shutdown-test"))
            let serving = Task { try await server.run(.path(path, socketGroup: nil)) }
            try await d.eventually("the second server listens") { FileManager.default.fileExists(atPath: path) }

            // A keep-alive connection after its answer, an event stream, and a card read that
            // takes a second or more (40 ms an APDU), all open when shutdown begins.
            let idle = try openRequest(path, "GET /v1/readers HTTP/1.1\r\nHost: x\r\n\r\n")
            defer { close(idle) }
            #expect(try await onThread { readSome(idle) }.hasPrefix("HTTP/1.1 200"))
            let stream = try openRequest(path, "GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n")
            defer { close(stream) }
            try await d.eventually("the stream is subscribed") { bus.subscriberCount == 1 }
            let reader = try await d.readerID()
            d.source.card.faults.delayPerAPDU = .milliseconds(40)
            let reading = try openRequest(path, "GET /v1/readers/\(reader)?refresh=1 HTTP/1.1\r\nHost: x\r\n\r\n")
            var readingOpen = true
            defer { if readingOpen { close(reading) } }
            try await d.eventually("the card read is running") { !d.source.card.trace.isEmpty }
            let traced = d.source.card.trace.count
            try await d.eventually("the card read is running") { d.source.card.trace.count > traced }

            // What the daemon does on SIGTERM: its streams end, and the server shuts down.
            bus.finishAll()
            serving.cancel()
            let idleEnd = try await onThread { readUntilClosed(idle, seconds: 5) }
            #expect(idleEnd.closed, "an idle connection closes at once")
            let streamEnd = try await onThread { readUntilClosed(stream, seconds: 5) }
            #expect(streamEnd.closed && streamEnd.text.hasSuffix("0\r\n\r\n"), "the stream ends cleanly")
            let read = try await onThread { readUntilClosed(reading, seconds: 10) }
            #expect(read.text.hasPrefix("HTTP/1.1 200"), "the running request is answered within its grace")
            #expect(read.closed, "and its connection's output closed after the answer")
            // The server waits for that connection, open until its client closes it.
            let started = ContinuousClock.now
            close(reading)
            readingOpen = false
            try await serving.value
            #expect(ContinuousClock.now - started < .seconds(10), "not the whole grace")
            #expect(!FileManager.default.fileExists(atPath: path), "the socket file is removed")
            d.source.card.faults.delayPerAPDU = .zero
        }
    }
}

/// Reads until the peer closes or `seconds` pass without a byte.
private func readUntilClosed(_ fd: Int32, seconds: Int) -> (text: String, closed: Bool) {
    var timeout = timeval(tv_sec: seconds, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var collected: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, 65536, 0) }
        if n == 0 { return (String(decoding: collected, as: UTF8.self), true) }
        if n < 0 { return (String(decoding: collected, as: UTF8.self), errno == ECONNRESET) }
        collected += buffer.prefix(n)
    }
}

/// The first bytes that come (10 s at most).
private func readSome(_ fd: Int32) -> String {
    var timeout = timeval(tv_sec: 10, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var buffer = [UInt8](repeating: 0, count: 4096)
    let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, 4096, 0) }
    return n > 0 ? String(decoding: buffer.prefix(n), as: UTF8.self) : ""
}
