import Foundation
import JPKIAPI
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// `struct ucred` of Linux (`<sys/socket.h>` with `_GNU_SOURCE`), which Swift's Glibc does not import.
struct LinuxPeerCredentials: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}

/// HTTP/1.1 with JSON over a Unix domain socket, on SwiftNIO. Every connection's peer is read
/// with `SO_PEERCRED` before its first request.
public struct HTTPServer: Sendable {
    /// Where to listen.
    public enum Binding: Sendable, Equatable {
        /// Bind a socket file (mode 0660, group `socketGroup` when given); removed on shutdown.
        case path(String, socketGroup: String?)
        /// A listening socket inherited from systemd (socket activation).
        case inherited(Int32)
    }

    let handler: APIHandler
    let bodyLimit: Int
    let logger: Logger

    public init(handler: APIHandler, bodyLimit: Int = 64 * 1024, logger: Logger) {
        self.handler = handler
        self.bodyLimit = bodyLimit
        self.logger = logger
    }

    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    /// Serves until cancelled (graceful shutdown cancels it); `onReady` runs once the socket listens.
    public func run(_ binding: Binding, onReady: @Sendable () -> Void = {}) async throws {
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 64)
            // A client that shuts down its sending side after the request still gets the answer;
            // only a full close (EPOLLHUP) closes the channel, and that cancels its request.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
        let initializer: @Sendable (Channel) -> EventLoopFuture<(PeerCredentials, Connection)> = { channel in
            guard let provider = channel as? SocketOptionProvider else {
                return channel.eventLoop.makeFailedFuture(ChannelError.operationUnsupported)
            }
            let credentials: EventLoopFuture<LinuxPeerCredentials> = provider.unsafeGetSocketOption(
                level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
            return credentials.flatMapThrowing { credentials in
                try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                let connection = try Connection(wrappingChannelSynchronously: channel)
                return (PeerCredentials(pid: credentials.pid, uid: credentials.uid, gid: credentials.gid), connection)
            }
        }

        let server: NIOAsyncChannel<(PeerCredentials, Connection), Never>
        var socketFile: String?
        switch binding {
        case .path(let path, let group):
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            // Bind under a private umask so the socket is never briefly world-accessible.
            let oldMask = umask(0o117)
            defer { umask(oldMask) }
            server = try await bootstrap.bind(
                unixDomainSocketPath: path, cleanupExistingSocketFile: true, childChannelInitializer: initializer)
            chmod(path, 0o660)
            if let group, let gid = AccessPolicy.gid(of: group) { chown(path, uid_t.max, gid) }
            socketFile = path
        case .inherited(let fd):
            server = try await bootstrap.bind(fd, childChannelInitializer: initializer)
        }
        defer { if let socketFile { unlink(socketFile) } }
        onReady()
        try await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { inbound in
                for try await (peer, connection) in inbound.cancelOnGracefulShutdown() {
                    group.addTask { await serve(connection, peer: peer) }
                }
            }
        }
    }

    private func serve(_ connection: Connection, peer: PeerCredentials) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                var body: [UInt8] = []
                var tooLarge = false
                for try await part in inbound {
                    switch part {
                    case .head(let requestHead):
                        head = requestHead
                        body = []
                        tooLarge = false
                        if let length = requestHead.headers.first(name: "content-length").flatMap(Int.init),
                            length > bodyLimit
                        {
                            tooLarge = true
                        }
                    case .body(let chunk):
                        if body.count + chunk.readableBytes > bodyLimit {
                            tooLarge = true
                            body = []
                        } else if !tooLarge {
                            body += chunk.readableBytesView
                        }
                    case .end:
                        guard let requestHead = head else { continue }
                        head = nil
                        if tooLarge {
                            let error = APIError(
                                "payload_too_large", "the body is larger than \(bodyLimit) bytes",
                                status: .payloadTooLarge)
                            try await write(.error(error), to: outbound, keepAlive: false)
                            return
                        }
                        let (path, query) = Self.split(requestHead.uri)
                        let request = APIRequest(
                            method: requestHead.method, path: path, query: query, headers: requestHead.headers,
                            body: body, peer: peer)
                        body = []
                        let response = await Self.respond(to: request, on: connection.channel, with: handler)
                        if case .events(let stream) = response {
                            try await streamEvents(stream, to: outbound)
                            return
                        }
                        try await write(response, to: outbound, keepAlive: requestHead.isKeepAlive)
                        if !requestHead.isKeepAlive { return }
                    }
                }
            }
        } catch {
            logger.debug("connection ended", metadata: ["error": "\(type(of: error))"])
        }
    }

    /// Runs the handler in a task of its own that is cancelled when the client closes its
    /// connection (or the server stops), so an operation nobody waits for any more stops before
    /// its VERIFY (the card layer checks for cancellation right before sending a PIN).
    static func respond(to request: APIRequest, on channel: any Channel, with handler: APIHandler) async -> APIResponse
    {
        let task = Task { await handler.handle(request) }
        channel.closeFuture.whenComplete { _ in task.cancel() }
        return await withTaskCancellationHandler {
            await task.value
        } onCancel: {
            task.cancel()
        }
    }

    private func write(
        _ response: APIResponse, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>, keepAlive: Bool
    ) async throws {
        guard case .body(let status, let contentType, let bytes, var headers) = response else { return }
        headers.add(name: "content-type", value: contentType)
        headers.add(name: "content-length", value: String(bytes.count))
        headers.add(name: "cache-control", value: "no-store")
        if !keepAlive { headers.add(name: "connection", value: "close") }
        try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers)))
        try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: bytes))))
        try await outbound.write(.end(nil))
    }

    /// `text/event-stream` until the client leaves or the daemon stops; a comment every 15 s
    /// keeps proxies and dead peers honest.
    private func streamEvents(
        _ events: AsyncStream<EventView>, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
    ) async throws {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "text/event-stream")
        headers.add(name: "cache-control", value: "no-store")
        try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)))
        try await outbound.write(.body(.byteBuffer(ByteBuffer(string: ": jpkid events\n\n"))))
        let (lines, continuation) = AsyncStream<String>.makeStream()
        let encoder = APIJSON.encoder()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await event in events {
                    guard let data = try? encoder.encode(event) else { continue }
                    continuation.yield("event: \(event.type)\ndata: \(String(decoding: data, as: UTF8.self))\n\n")
                }
                continuation.finish()
            }
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(for: .seconds(15))
                    continuation.yield(": keep-alive\n\n")
                }
            }
            for await line in lines.cancelOnGracefulShutdown() {
                try await outbound.write(.body(.byteBuffer(ByteBuffer(string: line))))
            }
            group.cancelAll()
        }
        try? await outbound.write(.end(nil))
    }

    /// Splits a request target into its percent-decoded path and query items.
    static func split(_ uri: String) -> (String, [String: String]) {
        let pieces = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(pieces[0]).removingPercentEncoding ?? String(pieces[0])
        var query: [String: String] = [:]
        if pieces.count == 2 {
            for item in pieces[1].split(separator: "&") {
                let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let key = String(pair[0]).removingPercentEncoding ?? String(pair[0])
                let value = pair.count == 2 ? (String(pair[1]).removingPercentEncoding ?? String(pair[1])) : ""
                query[key] = value
            }
        }
        return (path, query)
    }
}
