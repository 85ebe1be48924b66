import ErrorCodes
import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
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
            // From the cancel, within 5 s (the read timeout is 20 s): the server sees the
            // connection close and the caller gets `cancelled`.
            task.cancel()
            let closed = try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    try await held.closeFuture.get()
                    return true
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(5))
                    return false
                }
                let first = try await group.next() ?? false
                group.cancelAll()
                return first
            }
            let error = await clientError { _ = try await task.value }
            #expect(error?.code == .cancelled, "\(String(describing: error))")
            #expect(closed, "the abandoned connection stayed open")
        }
    }

    /// The handler itself: an abandoned request writes nothing and closes; otherwise head,
    /// body and end go out the moment the channel becomes active.
    @Test(arguments: [true, false])
    func requestOnConnectSendsOnlyWhenNotAbandoned(_ abandoned: Bool) throws {
        let request = try ClientRequest("POST", "/v1/readers/r1/pins/auth/verify", body: Self.pin)
        let abandonment = Abandonment()
        if abandoned { abandonment.abandon() }
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(RequestOnConnect(request, abandonment: abandonment))
        try channel.connect(to: SocketAddress(unixDomainSocketPath: "/jpkid.sock")).wait()
        var parts: [HTTPClientRequestPart] = []
        while let part = try channel.readOutbound(as: HTTPClientRequestPart.self) { parts.append(part) }
        if abandoned {
            #expect(parts.isEmpty, "\(parts)")
            #expect(!channel.isActive)
        } else {
            #expect(parts.count == 3, "\(parts)")
            guard case .head(let head)? = parts.first else {
                Issue.record("no head first")
                return
            }
            #expect(head.uri == "/v1/readers/r1/pins/auth/verify")
            _ = try? channel.finish()
        }
    }
}
