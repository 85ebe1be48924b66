import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A stand-in for jpkid on a real Unix socket: it reads a request head (and the body its
/// Content-Length announces), then lets a script answer with raw bytes, in whatever pieces,
/// malformed or endless as a test needs.
final class ScriptedServer: Sendable {
    typealias Script = @Sendable (_ channel: any Channel, _ request: String) -> Void

    let directory: URL
    let socketPath: String
    let channel: any Channel
    let requests = Recorder()

    init(_ script: @escaping Script) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("jpki-client-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("s.sock").path
        socketPath = path
        let requests = self.requests
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(RequestReader(script: script, requests: requests))
                }
            }
            .bind(unixDomainSocketPath: path).get()
    }

    func stop() async {
        try? await channel.close()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs `body` with a server that answers with `script`, and stops the server after.
    static func with<T>(_ script: @escaping Script, _ body: (ScriptedServer) async throws -> T) async throws -> T {
        let server = try await ScriptedServer(script)
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    var requestsSeen: [String] { requests.all }
}

/// The requests a server has seen.
final class Recorder: Sendable {
    private let lines = Mutex<[String]>([])
    func add(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

/// Collects one request, then hands the channel to the script.
private final class RequestReader: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let script: ScriptedServer.Script
    let requests: Recorder
    var buffer: [UInt8] = []
    var answered = false

    init(script: @escaping ScriptedServer.Script, requests: Recorder) {
        self.script = script
        self.requests = requests
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !answered else { return }
        buffer += Array(buffer: unwrapInboundIn(data))
        let text = String(decoding: buffer, as: UTF8.self)
        guard let end = text.range(of: "\r\n\r\n") else { return }
        let head = text[..<end.lowerBound].lowercased()
        let length =
            head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst(15).trimmingCharacters(in: .whitespaces)) } ?? 0
        guard text.utf8.count - text.utf8.distance(from: text.startIndex, to: end.upperBound) >= length else { return }
        answered = true
        requests.add(text)
        script(context.channel, text)
    }
}

extension Channel {
    /// Writes and flushes `text` as one piece.
    @discardableResult
    func send(_ text: String) -> EventLoopFuture<Void> { writeAndFlush(ByteBuffer(string: text)) }

    /// Writes and flushes `bytes` as one piece.
    @discardableResult
    func send(_ bytes: [UInt8]) -> EventLoopFuture<Void> { writeAndFlush(ByteBuffer(bytes: bytes)) }

    /// Writes `bytes` in pieces of the given sizes (cycling), each flushed on its own.
    @discardableResult
    func send(_ bytes: [UInt8], inPiecesOf sizes: [Int]) -> EventLoopFuture<Void> {
        var rest = bytes[...]
        var last = eventLoop.makeSucceededVoidFuture()
        var index = 0
        while !rest.isEmpty {
            let piece = rest.prefix(sizes[index % sizes.count])
            rest = rest.dropFirst(piece.count)
            index += 1
            last = writeAndFlush(ByteBuffer(bytes: piece))
        }
        return last
    }

    /// Writes `piece` again and again until the peer goes away.
    func sendForever(_ piece: [UInt8]) {
        writeAndFlush(ByteBuffer(bytes: piece)).whenSuccess { self.sendForever(piece) }
    }

    func sendForever(_ piece: String) { sendForever(Array(piece.utf8)) }
}
