import ErrorCodes
import Foundation
import NIOCore
import Synchronization
import Testing

@testable import JPKIClient

/// A caller that goes away (a browser leaving the staff page, a killed jpkictl) must take its
/// request with it: nothing sent when it left before the request went out, and the connection
/// closed when it left while waiting, so that jpkid cancels the work before any VERIFY.
@Suite("Client: an abandoned request")
struct CancellationTests {
    static let pin = Data(#"{"pin":"1234"}"#.utf8)

    @Test func aRequestAbandonedBeforeItStartsSendsNothing() async throws {
        let answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"
        try await ScriptedServer.with({ channel, _ in channel.send(answer) }) { server in
            let client = UnixHTTPClient(socketPath: server.socketPath, limits: shortLimits())
            let task = Task {
                // Runs only once cancelled: the request starts abandoned.
                while !Task.isCancelled { await Task.yield() }
                return try await client.send("POST", "/v1/readers/r1/pins/auth/verify", json: Self.pin)
            }
            task.cancel()
            let error = await clientError { _ = try await task.value }
            #expect(error?.code == .cancelled, "\(String(describing: error))")
            // A request after it, on the same server: only that one arrives.
            _ = try await client.send("GET", "/v1/readers")
            let seen = server.requestsSeen
            #expect(seen.count == 1 && seen[0].hasPrefix("GET /v1/readers"), "\(seen)")
        }
    }

    @Test func aRequestAbandonedWhileWaitingClosesTheConnection() async throws {
        let connection = Mutex<(any Channel)?>(nil)
        try await ScriptedServer.with({ channel, _ in connection.withLock { $0 = channel } }) { server in
            let client = UnixHTTPClient(socketPath: server.socketPath, limits: shortLimits())
            let task = Task { try await client.send("POST", "/v1/readers/r1/pins/auth/verify", json: Self.pin) }
            // Wait (bounded) until the server holds the request and answers nothing.
            var channel: (any Channel)?
            for _ in 0..<1000 where channel == nil {
                channel = connection.withLock { $0 }
                if channel == nil { try await Task.sleep(for: .milliseconds(10)) }
            }
            let held = try #require(channel, "the request never reached the server")
            task.cancel()
            let error = await clientError { _ = try await task.value }
            #expect(error?.code == .cancelled, "\(String(describing: error))")
            // The server sees the connection close, within a bound.
            let closed = try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    try await held.closeFuture.get()
                    return true
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(10))
                    return false
                }
                let first = try await group.next() ?? false
                group.cancelAll()
                return first
            }
            #expect(closed, "the abandoned connection stayed open")
        }
    }
}
