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

/// Event streams are written from the event loop with no task: a client that stops reading is
/// still cut (the bus's bounded queue), and shutdown still closes every connection and waits for them.
@Suite("Event streams and shutdown without a task per connection", .serialized)
struct ConnectionLifecycleTests {
    @Test func aClientThatStopsReadingIsCutAndItsSubscriptionEnds() async throws {
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
            #expect(text.text.components(separatedBy: "event: \(type)").count - 1 < 2000, "not everything was queued")
        }
    }

    @Test func shutdownClosesIdleConnectionsAndStreamsAndWaitsForThem() async throws {
        try await DaemonFixture.with(try DaemonFixture(statusGroup: nil)) { d in
            let handler = APIHandler(
                registry: d.daemon.registry, events: EventBus(),
                policy: PolicyStore(AccessPolicy(statusGroup: nil, operatorGroup: nil)),
                logger: Logger(label: "shutdown-test"))
            let path = d.directory.appendingPathComponent("shutdown.sock").path
            let server = HTTPServer(handler: handler, logger: Logger(label: "shutdown-test"))
            let serving = Task { try await server.run(.path(path, socketGroup: nil)) }
            try await d.eventually("the second server listens") { FileManager.default.fileExists(atPath: path) }

            // A keep-alive connection after its answer, and an event stream.
            let idle = try openRequest(path, "GET /v1/readers HTTP/1.1\r\nHost: x\r\n\r\n")
            defer { close(idle) }
            let stream = try openRequest(path, "GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n")
            defer { close(stream) }
            try await d.eventually("the stream is subscribed") { handler.events.subscriberCount == 1 }
            let first = try await onThread { readSome(idle) }
            #expect(first.hasPrefix("HTTP/1.1 200"))

            serving.cancel()
            let started = ContinuousClock.now
            try await serving.value
            // Neither waits for the 5 s grace: the idle connection and the stream close at once.
            #expect(ContinuousClock.now - started < .seconds(4))
            let idleEnd = try await onThread { readUntilClosed(idle, seconds: 5) }
            let streamEnd = try await onThread { readUntilClosed(stream, seconds: 5) }
            #expect(idleEnd.closed && streamEnd.closed)
            #expect(!FileManager.default.fileExists(atPath: path), "the socket file is removed")
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
