import Foundation
import NIOCore
import NIOPosix
import Testing

@testable import JPKIClient

/// A server that answers every connection at once and closes it without reading, as jpkid does
/// for a connection over its caps.
private final class AnswerAtOnce: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let answer: String
    init(_ answer: String) { self.answer = answer }
    func channelActive(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(NIOAny(ByteBuffer(string: answer))).whenComplete { _ in
            loopBound.value.close(promise: nil)
        }
    }
}

@Suite("Client: an answer before the request")
struct EarlyAnswerTests {
    static let refusal =
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: 50\r\n"
        + "connection: close\r\n\r\n"
        + #"{"error":{"code":"too_many_connections","m":"x"}}"# + "\n"

    func withServer(_ answer: String, _ body: (String) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("jpki-early-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("s.sock").path
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(AnswerAtOnce(answer))
                }
            }
            .bind(unixDomainSocketPath: path).get()
        do {
            try await body(path)
            try? await server.close()
        } catch {
            try? await server.close()
            throw error
        }
    }

    /// jpkid's refusal must reach the caller as jpkid's answer, whether it arrives before the
    /// request is written or after jpkid has closed: 20 tries cover both orders.
    @Test func aRefusalSentOnConnectIsTheAnswer() async throws {
        try await withServer(Self.refusal) { path in
            let client = UnixHTTPClient(socketPath: path, limits: shortLimits())
            for _ in 0..<20 {
                let response = try await client.send(
                    "POST", "/v1/readers/r1/pins/auth/verify", json: Data(#"{"pin":"1234"}"#.utf8))
                #expect(response.status == 503)
                #expect(String(decoding: response.body, as: UTF8.self).contains("too_many_connections"))
            }
        }
    }

    @Test func anEarlyAnswerLargerThanTheLimitIsRefused() async throws {
        let huge = "HTTP/1.1 200 OK\r\nX-Filler: " + String(repeating: "a", count: 64 * 1024) + "\r\n\r\n"
        try await withServer(huge) { path in
            let client = UnixHTTPClient(socketPath: path, limits: shortLimits())
            let error = await clientError { _ = try await client.send("GET", "/v1/readers") }
            #expect(error?.code == .payloadTooLarge, "\(String(describing: error))")
        }
    }
}
