import Foundation
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
