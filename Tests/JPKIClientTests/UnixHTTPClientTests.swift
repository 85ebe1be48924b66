import ErrorCodes
import Foundation
import NIOCore
import Synchronization
import Testing

@testable import JPKIClient

#if canImport(Glibc)
    import Glibc
#endif

/// The client's error for `body`, or nil if it succeeded.
func clientError(_ body: () async throws -> Void) async -> ClientError? {
    do {
        try await body()
        return nil
    } catch {
        return error as? ClientError
    }
}

/// `text` as chunks of an HTTP body, cut into pieces of the given sizes (cycling), without the
/// last chunk: in bytes, since a cut may fall inside a character.
func chunks(_ text: String, sizes: [Int]) -> [UInt8] {
    var bytes = Array(text.utf8)[...]
    var out: [UInt8] = []
    var index = 0
    while !bytes.isEmpty {
        let piece = bytes.prefix(sizes[index % sizes.count])
        bytes = bytes.dropFirst(piece.count)
        index += 1
        out += Array((String(piece.count, radix: 16) + "\r\n").utf8) + piece + Array("\r\n".utf8)
    }
    return out
}

/// `text` as a whole chunked HTTP body.
func chunked(_ text: String, sizes: [Int]) -> [UInt8] { chunks(text, sizes: sizes) + Array("0\r\n\r\n".utf8) }

/// Caps small enough for a test to reach them; timeouts that fire only in the tests of timeouts
/// (the machine may be busy: a test that is not about a timeout must not meet one).
func shortLimits(timeout: Duration = .seconds(20)) -> ClientLimits {
    var limits = ClientLimits()
    limits.connectTimeout = .seconds(5)
    limits.readTimeout = timeout
    limits.eventReadTimeout = timeout
    limits.requestDeadline = max(timeout * 2, .seconds(1))
    limits.maxBodyBytes = 64 * 1024
    limits.maxHeaderBytes = 4 * 1024
    limits.maxEventBytes = 1024
    return limits
}

@Suite("Client: requests")
struct ClientRequestTests {
    @Test func aJSONAnswerArrivesWholeAndTheRequestIsWellFormed() async throws {
        let json = #"{"readers":[{"id":"r1a2b3c","name":"Reader 0","state":"ready"}]}"#
        try await ScriptedServer.with({ channel, _ in
            channel.send(
                Array(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(json.utf8.count)\r\n\r\n\(json)"
                        .utf8),
                inPiecesOf: [7, 1, 13])
        }) { server in
            let client = UnixHTTPClient(socketPath: server.socketPath)
            let response = try await client.send("GET", "/v1/readers")
            #expect(response.status == 200)
            #expect(response.headers["content-type"] == "application/json")
            #expect(String(decoding: response.body, as: UTF8.self) == json)

            let body = Data(#"{"pin":"1234"}"#.utf8)
            _ = try await client.send("POST", "/v1/card/pins/auth/verify", json: body)
            let requests = server.requestsSeen
            #expect(requests[0].hasPrefix("GET /v1/readers HTTP/1.1\r\n"))
            #expect(requests[0].lowercased().contains("connection: close\r\n"))
            #expect(requests[1].hasPrefix("POST /v1/card/pins/auth/verify HTTP/1.1\r\n"))
            #expect(requests[1].lowercased().contains("content-type: application/json\r\n"))
            #expect(requests[1].hasSuffix("\r\n\r\n{\"pin\":\"1234\"}"))
        }
    }

    @Test func anErrorStatusIsAnAnswerWithItsBodyAndCode() async throws {
        struct ErrorBody: Decodable {
            struct Detail: Decodable { let code: ErrorCode }
            let error: Detail
        }
        let body = #"{"error":{"code":"wrong_pin","message":"wrong PIN","remaining":2}}"#
        try await ScriptedServer.with({ channel, _ in
            channel.send(
                Array(
                    "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                        .utf8) + chunked(body, sizes: [5, 11]))
        }) { server in
            let client = UnixHTTPClient(socketPath: server.socketPath)
            let response = try await client.send("GET", "/v1/card")
            #expect(response.status == 401)
            #expect(try JSONDecoder().decode(ErrorBody.self, from: response.body).error.code == .wrongPIN)
        }
    }

    @Test func aServerThatNeverAnswersTimesOut() async throws {
        try await ScriptedServer.with({ _, _ in }) { server in
            let client = UnixHTTPClient(socketPath: server.socketPath, limits: shortLimits(timeout: .milliseconds(300)))
            let clock = ContinuousClock()
            let start = clock.now
            let error = await clientError { _ = try await client.send("GET", "/v1/readers") }
            #expect(error?.code == .timeout)
            #expect(clock.now - start >= .milliseconds(300))
            #expect(clock.now - start < .seconds(10), "bounded, not a hang")
        }
    }

    @Test func aServerThatStopsHalfwayTimesOutToo() async throws {
        try await ScriptedServer.with({ channel, _ in
            channel.send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"readers\":")
        }) { server in
            let client = UnixHTTPClient(socketPath: server.socketPath, limits: shortLimits(timeout: .milliseconds(300)))
            let error = await clientError { _ = try await client.send("GET", "/v1/readers") }
            #expect(error?.code == .timeout)
        }
    }

    @Test func aTrickleIsCutByTheDeadline() async throws {
        var limits = shortLimits()
        limits.requestDeadline = .milliseconds(600)
        try await ScriptedServer.with({ channel, _ in
            channel.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            // One byte of body every 100 ms: never silent for the read timeout, never done.
            @Sendable func drip() {
                channel.eventLoop.scheduleTask(in: .milliseconds(100)) {
                    channel.send("1\r\nx\r\n").whenSuccess { drip() }
                }
            }
            drip()
        }) { server in
            let client = UnixHTTPClient(socketPath: server.socketPath, limits: limits)
            let clock = ContinuousClock()
            let start = clock.now
            let error = await clientError { _ = try await client.send("GET", "/v1/readers") }
            #expect(error?.code == .timeout)
            #expect(clock.now - start < .seconds(10), "the deadline, long before the 20 s read timeout")
        }
    }

    @Test func anEndlessBodyIsCutAtTheCap() async throws {
        try await ScriptedServer.with({ channel, _ in
            channel.send("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n")
            channel.sendForever(String(repeating: "[", count: 16 * 1024))
        }) { server in
            let client = UnixHTTPClient(socketPath: server.socketPath, limits: shortLimits())
            let error = await clientError { _ = try await client.send("GET", "/v1/readers") }
            #expect(error?.code == .payloadTooLarge)
        }
    }

    @Test func aBodyAnnouncedTooLargeIsRefusedBeforeItArrives() async throws {
        try await ScriptedServer.with({ channel, _ in
            channel.send("HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\n{")
        }) { server in
            let client = UnixHTTPClient(socketPath: server.socketPath, limits: shortLimits())
            let error = await clientError { _ = try await client.send("GET", "/v1/readers") }
            #expect(error?.code == .payloadTooLarge)
        }
    }

    @Test(arguments: ["X-Filler: \(String(repeating: "a", count: 1000))\r\n", "X-A: b\r\n"])
    func anEndlessHeadIsCutAtTheCap(line: String) async throws {
        try await ScriptedServer.with({ channel, _ in
            channel.send("HTTP/1.1 200 OK\r\n")
            channel.sendForever(line)
        }) { server in
            let client = UnixHTTPClient(socketPath: server.socketPath, limits: shortLimits())
            let error = await clientError { _ = try await client.send("GET", "/v1/readers") }
            #expect(error?.code == .payloadTooLarge)
        }
    }

    @Test func notHTTPIsAMalformedAnswer() async throws {
        try await ScriptedServer.with({ channel, _ in
            channel.send("SSH-2.0-OpenSSH_9.6\r\n\r\n").whenComplete { _ in channel.close(promise: nil) }
        }) { server in
            let client = UnixHTTPClient(socketPath: server.socketPath, limits: shortLimits())
            let error = await clientError { _ = try await client.send("GET", "/v1/readers") }
            #expect(error?.code == .malformedResponse)
        }
    }

    @Test func noDaemonIsUnreachableAtOnce() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("jpki-none-\(UUID().uuidString)")
        let missing = UnixHTTPClient(socketPath: directory.appendingPathComponent("jpkid.sock").path)
        let error = await clientError { _ = try await missing.send("GET", "/v1/readers") }
        #expect(error?.code == .jpkidUnreachable)
        #expect(error?.description.contains("is jpkid running?") == true)

        // A socket that is bound but not listening (a jpkid that is starting or hung): refused.
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("bound.sock").path
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        try #require(bound == 0)
        let refused = await clientError { _ = try await UnixHTTPClient(socketPath: path).send("GET", "/v1/readers") }
        #expect(refused?.code == .jpkidUnreachable)
        #expect(refused?.message.contains("refused") == true, "\(refused?.message ?? "")")

        let tooLong = UnixHTTPClient(socketPath: "/tmp/" + String(repeating: "x", count: 200))
        #expect(await clientError { _ = try await tooLong.send("GET", "/v1/readers") }?.code == .jpkidUnreachable)
    }

    @Test func aTargetThatCouldSplitTheRequestIsRefusedBeforeConnecting() async throws {
        let client = UnixHTTPClient(socketPath: "/nonexistent/jpkid.sock")
        for (method, path) in [("GET", "/v1/card HTTP/1.1\r\nX: y"), ("GET", "v1/card"), ("G T", "/"), ("", "/")] {
            #expect(
                await clientError { _ = try await client.send(method, path) }?.code == .badRequest, "\(method) \(path)")
        }
    }

    @Test func theFutureFormWorksFromAsyncCode() async throws {
        try await ScriptedServer.with({ channel, _ in
            channel.send("HTTP/1.1 204 No Content\r\n\r\n")
        }) { server in
            let response = try await UnixHTTPClient(socketPath: server.socketPath).response("DELETE", "/v1/x").get()
            #expect(response.status == 204 && response.body.isEmpty)
            #expect(server.requestsSeen[0].lowercased().contains("content-length: 0\r\n"))
        }
    }
}
