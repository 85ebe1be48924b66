import ErrorCodes
import Foundation
import NIOCore
import Synchronization
import Testing

@testable import JPKIClient

/// What jpkid's `GET /v1/events` sends, with the corners of the format: a comment, CR LF and
/// bare CR line ends, a field without a space, two data lines, an event without data (not an
/// event), non-ASCII data.
let sampleStream =
    ": jpkid events\n\n"
    + "id: 1\nevent: reader-added\ndata: {\"reader\":\"r1a2b3c\"}\n\n"
    + "id: 2\r\nevent: card-inserted\r\ndata:{\"reader\":\"r1a2b3c\"}\r\n\r\n"
    + ": keep-alive\n\n"
    + "event: nothing\n\n"
    + "id: 3\revent: pin-failed\rdata: {\"remaining\":2,\rdata:  \"pin\":\"auth\"}\r\r"
    + "data: 読み取り機\n\n"

let sampleItems: [EventStreamItem] = [
    .keepAlive,
    .event(ServerSentEvent(type: "reader-added", data: #"{"reader":"r1a2b3c"}"#, id: "1")),
    .event(ServerSentEvent(type: "card-inserted", data: #"{"reader":"r1a2b3c"}"#, id: "2")),
    .keepAlive,
    .event(ServerSentEvent(type: "pin-failed", data: "{\"remaining\":2,\n \"pin\":\"auth\"}", id: "3")),
    .event(ServerSentEvent(type: "message", data: "読み取り機", id: "3")),
]

@Suite("Client: the event stream parser")
struct EventStreamParserTests {
    func parse(_ pieces: [ArraySlice<UInt8>], maxEventBytes: Int = 1024) throws -> [EventStreamItem] {
        var parser = EventStreamParser(maxEventBytes: maxEventBytes)
        return try pieces.flatMap { try parser.feed($0) }
    }

    @Test func wholeStream() throws {
        #expect(try parse([Array(sampleStream.utf8)[...]]) == sampleItems)
    }

    /// Cut once at every byte, and byte by byte: the same items.
    @Test func everySplitPointGivesTheSameItems() throws {
        let bytes = Array(sampleStream.utf8)
        for cut in 0...bytes.count {
            #expect(try parse([bytes[..<cut], bytes[cut...]]) == sampleItems, "cut at \(cut)")
        }
        #expect(try parse(bytes.indices.map { bytes[$0...$0] }) == sampleItems)
    }

    @Test func anEventIsDeliveredOnlyWhenItsBlankLineArrives() throws {
        var parser = EventStreamParser(maxEventBytes: 1024)
        #expect(try parser.feed(Array("event: a\ndata: 1\n".utf8)).isEmpty)
        #expect(try parser.feed(Array("\n".utf8)) == [.event(ServerSentEvent(type: "a", data: "1"))])
    }

    @Test func anEventOverTheCapIsAnErrorWithoutAnEndOfLine() {
        var parser = EventStreamParser(maxEventBytes: 100)
        #expect(throws: ClientError.self) { _ = try parser.feed(Array(repeating: UInt8(ascii: "a"), count: 101)) }
        var lines = EventStreamParser(maxEventBytes: 100)
        let error = #expect(throws: ClientError.self) {
            for _ in 0..<20 { _ = try lines.feed(Array("data: 0123456789\n".utf8)) }
        }
        #expect(error?.code == .payloadTooLarge)
        var fine = EventStreamParser(maxEventBytes: 100)
        for _ in 0..<100 {
            #expect((try? fine.feed(Array("data: 0123456789\n\n".utf8)))?.count == 1, "the cap is per event")
        }
    }

    @Test func theWireFormParsesBackToTheSameEvent() throws {
        let event = ServerSentEvent(type: "pin-failed", data: "{\n \"a\": 1\n}\n", id: "42")
        var parser = EventStreamParser(maxEventBytes: 1024)
        #expect(try parser.feed(Array(event.wireForm.utf8)) == [.event(event)])
    }
}

@Suite("Client: event streams")
struct EventStreamClientTests {
    static let streamHead = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"

    /// Collects items until `stop` says so or the stream ends.
    static func collect(
        _ client: UnixHTTPClient, headers: [(String, String)] = [], stop: (Int) -> Bool = { _ in false }
    ) async throws -> (items: [EventStreamItem], refusal: UnixHTTPClient.Response?) {
        var items: [EventStreamItem] = []
        let refusal = try await client.eventStream("/v1/events", headers: headers) { item in
            items.append(item)
            return !stop(items.count)
        }
        return (items, refusal)
    }

    @Test(arguments: [[1], [3, 1, 7], [64], [2, 1000]])
    func eventsSplitAcrossChunksAndReadsArriveWhole(sizes: [Int]) async throws {
        try await ScriptedServer.with({ channel, _ in
            channel.send(
                Array(Self.streamHead.utf8) + chunked(sampleStream, sizes: sizes), inPiecesOf: sizes.reversed()
            )
            .whenComplete { _ in channel.close(promise: nil) }
        }) { server in
            let client = UnixHTTPClient(socketPath: server.socketPath, limits: shortLimits())
            let (items, refusal) = try await Self.collect(client, headers: [("Last-Event-ID", "7")])
            #expect(items == sampleItems)
            #expect(refusal == nil)
            #expect(server.requestsSeen[0].contains("Last-Event-ID: 7\r\n"))
        }
    }

    @Test func theCallerStopsAStreamThatGoesOn() async throws {
        try await ScriptedServer.with({ channel, _ in
            channel.send(Self.streamHead)
            channel.sendForever(chunks("event: tick\ndata: {}\n\n", sizes: [100]))
        }) { server in
            let client = UnixHTTPClient(socketPath: server.socketPath, limits: shortLimits())
            let (items, _) = try await Self.collect(client) { $0 == 500 }
            #expect(items.count == 500)
            #expect(items.allSatisfy { $0 == .event(ServerSentEvent(type: "tick", data: "{}")) })
        }
    }

    @Test func onOpenComesBeforeTheFirstEvent() async throws {
        try await ScriptedServer.with({ channel, _ in
            channel.send(Array(Self.streamHead.utf8) + chunked("data: 1\n\n", sizes: [100]))
                .whenComplete { _ in channel.close(promise: nil) }
        }) { server in
            let client = UnixHTTPClient(socketPath: server.socketPath, limits: shortLimits())
            var order: [String] = []
            _ = try await client.events("/v1/events", onOpen: { order.append("open") }) { type, data in
                order.append("\(type) \(data)")
                return true
            }
            #expect(order == ["open", "message 1"])
        }
    }

    /// The form for code on an event loop: every part in order, the end last, once.
    @Test func theCallbackFormDeliversEveryPartThenTheEnd() async throws {
        try await ScriptedServer.with({ channel, _ in
            channel.send(Array(Self.streamHead.utf8) + chunked(sampleStream, sizes: [5]))
                .whenComplete { _ in channel.close(promise: nil) }
        }) { server in
            let client = UnixHTTPClient(socketPath: server.socketPath, limits: shortLimits())
            let (parts, sink) = AsyncStream.makeStream(of: EventStreamPart.self)
            _ = client.eventStream("/v1/events") { part in
                sink.yield(part)
                if part.isFinal { sink.finish() }
            }
            var opened = false
            var items: [EventStreamItem] = []
            var ended = false
            for await part in parts {
                switch part {
                case .opened: opened = items.isEmpty
                case .item(let item): items.append(item)
                case .ended: ended = true
                case .refused, .failed: Issue.record("\(part)")
                }
            }
            #expect(opened && ended)
            #expect(items == sampleItems)
        }
    }

    @Test func aRefusalIsReturnedWithItsBody() async throws {
        let body = #"{"error":{"code":"forbidden","message":"not in group jpki"}}"#
        try await ScriptedServer.with({ channel, _ in
            channel.send("HTTP/1.1 403 Forbidden\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        }) { server in
            let client = UnixHTTPClient(socketPath: server.socketPath, limits: shortLimits())
            let (items, refusal) = try await Self.collect(client)
            #expect(items.isEmpty)
            #expect(refusal?.status == 403)
            #expect(refusal.map { String(decoding: $0.body, as: UTF8.self) } == body)
        }
    }

    @Test func aSilentStreamTimesOut() async throws {
        try await ScriptedServer.with({ channel, _ in
            channel.send(Array(Self.streamHead.utf8) + chunks("data: 1\n\n", sizes: [100]))
        }) { server in
            let client = UnixHTTPClient(socketPath: server.socketPath, limits: shortLimits(timeout: .milliseconds(300)))
            let seen = Mutex(0)
            let error = await clientError {
                _ = try await client.eventStream("/v1/events") { _ in
                    seen.withLock { $0 += 1 }
                    return true
                }
            }
            #expect(error?.code == .timeout)
            #expect(seen.withLock { $0 } == 1, "the event before the silence was delivered")
        }
    }

    @Test func anEndlessEventIsCutAtTheCap() async throws {
        try await ScriptedServer.with({ channel, _ in
            channel.send(Self.streamHead + "5\r\ndata:\r\n")
            channel.sendForever(chunks(String(repeating: "x", count: 1024), sizes: [1024]))
        }) { server in
            let client = UnixHTTPClient(socketPath: server.socketPath, limits: shortLimits())
            let error = await clientError { _ = try await client.eventStream("/v1/events") { _ in true } }
            #expect(error?.code == .payloadTooLarge)
        }
    }

    @Test func noDaemonIsUnreachable() async throws {
        let client = UnixHTTPClient(socketPath: "/nonexistent/jpkid.sock")
        #expect(
            await clientError { _ = try await client.events("/v1/events") { _, _ in true } }?.code == .jpkidUnreachable)
    }
}

@Suite("Client: event stream back-pressure")
struct EventStreamBackPressureTests {
    /// While the caller holds an event, the client stops reading: the server's writes stall at a
    /// bounded amount (the socket buffers and the read-ahead), then go on when the caller does.
    @Test func aBusyCallerStopsTheReading() async throws {
        let written = Mutex(0)
        let piece = Array(String(repeating: "event: tick\ndata: {}\n\n", count: 40).utf8)
        try await ScriptedServer.with({ channel, _ in
            channel.send(EventStreamClientTests.streamHead)
            @Sendable func more() {
                channel.send(chunks(String(decoding: piece, as: UTF8.self), sizes: [piece.count])).whenSuccess {
                    written.withLock { $0 += piece.count }
                    more()
                }
            }
            more()
        }) { server in
            let client = UnixHTTPClient(socketPath: server.socketPath, limits: shortLimits())
            let (held, hold) = AsyncStream.makeStream(of: Void.self)
            let (release, released) = AsyncStream.makeStream(of: Void.self)
            let stream = Task {
                var seen = 0
                _ = try await client.eventStream("/v1/events") { _ in
                    seen += 1
                    if seen == 1 {
                        hold.yield()
                        for await _ in release { break }
                    }
                    return seen < 50_000
                }
                return seen
            }
            for await _ in held { break }
            // Wait for the writes to stall: no progress over ten looks in a row (bounded wait).
            var last = -1
            var still = 0
            let clock = ContinuousClock()
            let start = clock.now
            while still < 10 {
                try #require(clock.now - start < .seconds(30), "the server's writes never stalled")
                try await Task.sleep(for: .milliseconds(50))
                let now = written.withLock { $0 }
                still = now == last ? still + 1 : 0
                last = now
            }
            #expect(last < 16 * 1024 * 1024, "bounded read-ahead, not the whole stream in memory")
            released.yield()
            #expect(try await stream.value == 50_000, "reading resumes when the caller goes on")
        }
    }
}
