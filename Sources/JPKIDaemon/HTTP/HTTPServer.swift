import Foundation
import JPKIAPI
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// HTTP/1.1 with JSON over a Unix domain socket, on SwiftNIO.
///
/// Every connection's peer (`SO_PEERCRED`, `SO_PEERGROUPS`) is read once, before its first
/// request. Every resource is bounded: connections in all and per client process (beyond, `503`
/// and close), the time a request may take to arrive and a connection may stay idle, header size
/// and count, body size, and each event stream's queue. A request whose client disconnects is
/// cancelled. On graceful shutdown idle connections close at once and running requests get
/// ``Limits/shutdownGrace``.
public struct HTTPServer: Sendable {
    /// Where to listen.
    public enum Binding: Sendable, Equatable {
        /// Bind a socket file (mode 0660, group `socketGroup` when given); removed on shutdown.
        case path(String, socketGroup: String?)
        /// A listening socket inherited from systemd (socket activation).
        case inherited(Int32)
    }

    /// The bounds the server keeps.
    public struct Limits: Sendable, Equatable {
        public var maxConnections = 256
        /// Connections one client process (by pid) may hold at once.
        public var maxConnectionsPerClient = 32
        public var bodyBytes = 64 * 1024
        /// A request must have arrived this long after its first byte.
        public var headerTimeout: Duration = .seconds(10)
        /// A keep-alive connection with no request is closed after this long.
        public var idleTimeout: Duration = .seconds(60)
        public var maxHeaderCount = 64
        public var maxHeaderBytes = 16 * 1024
        /// A running request may finish for this long after SIGTERM.
        public var shutdownGrace: Duration = .seconds(5)
        /// An event-stream write the client does not take in this long closes the stream.
        public var eventWriteTimeout: Duration = .seconds(10)
        public var eventKeepAlive: Duration = .seconds(15)

        public init() {}
    }

    let handler: APIHandler
    let limits: Limits
    let logger: Logger
    let connections: ConnectionTable

    public init(handler: APIHandler, limits: Limits = Limits(), logger: Logger) {
        self.handler = handler
        self.limits = limits
        self.logger = logger
        self.connections = ConnectionTable(limit: limits.maxConnections, perClient: limits.maxConnectionsPerClient)
    }

    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    /// An accepted connection: ready to serve, or (over the cap) answered `503` and closing.
    enum Accepted: Sendable {
        case admitted(peer: PeerCredentials, connection: Connection, watch: NIOLoopBound<ConnectionGuard>)
        case refused
    }

    /// Serves until cancelled (graceful shutdown cancels it); `onReady` runs once the socket listens.
    public func run(_ binding: Binding, onReady: @Sendable () -> Void = {}) async throws {
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            // A client that shuts down its sending side after the request still gets the answer;
            // only a full close (EPOLLHUP) closes the channel, and that cancels its request.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            // Small send buffers: a client that stops reading holds little memory (answers are
            // a few KB; event streams apply backpressure and then overflow).
            .childChannelOption(.socketOption(.so_sndbuf), value: 16 * 1024)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 8 * 1024, high: 16 * 1024))
        let initializer: @Sendable (any Channel) -> EventLoopFuture<Accepted> = { [limits, connections] channel in
            PeerCredentials.read(from: channel).flatMap { peer in
                guard connections.admit(peer.pid) else {
                    // No HTTP pipeline: the answer goes out as bytes, whatever the client sends.
                    return channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(RefusingHandler())
                        return .refused
                    }
                }
                channel.closeFuture.whenComplete { _ in connections.release(peer.pid) }
                return channel.eventLoop.makeCompletedFuture {
                    let watch = ConnectionGuard(headerTimeout: limits.headerTimeout, idleTimeout: limits.idleTimeout)
                    try channel.pipeline.syncOperations.addHandler(watch)
                    var decoderLimits = NIOHTTPDecoderLimitConfiguration()
                    decoderLimits.maxHeaderFieldSize = limits.maxHeaderBytes
                    decoderLimits.maxHeaderListSize = limits.maxHeaderBytes
                    decoderLimits.maxHeaderFieldCount = limits.maxHeaderCount
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withErrorHandling: true, withOutboundHeaderValidation: true, withEncoderConfiguration: .init(),
                        withDecoderLimitConfiguration: decoderLimits)
                    return .admitted(
                        peer: peer, connection: try Connection(wrappingChannelSynchronously: channel),
                        watch: NIOLoopBound(watch, eventLoop: channel.eventLoop))
                }
            }
        }

        let server: NIOAsyncChannel<Accepted, Never>
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
                for try await accepted in inbound.cancelOnGracefulShutdown() {
                    guard case .admitted(let peer, let connection, let watch) = accepted else { continue }
                    group.addTask {
                        await withGracefulShutdownHandler {
                            await serve(connection, peer: peer, watch: watch)
                        } onGracefulShutdown: { [grace = limits.shutdownGrace] in
                            watch.eventLoop.execute { watch.value.shutDown(grace: grace) }
                        }
                    }
                }
            }
        }
    }

    private func serve(_ connection: Connection, peer: PeerCredentials, watch: NIOLoopBound<ConnectionGuard>) async {
        let channel = connection.channel
        // One hook per connection (not per request, which would pile up on a keep-alive one):
        // when the client goes away, the request being handled is cancelled.
        let current = CurrentRequest()
        channel.closeFuture.whenComplete { _ in current.cancel() }
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                var body: [UInt8] = []
                var tooLarge = false
                defer { Self.wipe(&body) }
                for try await part in inbound {
                    switch part {
                    case .head(let requestHead):
                        head = requestHead
                        Self.wipe(&body)
                        tooLarge = false
                        if let length = requestHead.headers.first(name: "content-length").flatMap(Int.init),
                            length > limits.bodyBytes
                        {
                            tooLarge = true
                        }
                    case .body(let chunk):
                        if body.count + chunk.readableBytes > limits.bodyBytes {
                            tooLarge = true
                            Self.wipe(&body)
                        } else if !tooLarge {
                            body += chunk.readableBytesView
                        }
                    case .end:
                        guard let requestHead = head else { continue }
                        head = nil
                        watch.eventLoop.execute { watch.value.requestReceived() }
                        if tooLarge {
                            let error = APIError(
                                "payload_too_large", "the body is larger than \(limits.bodyBytes) bytes",
                                status: .payloadTooLarge)
                            try await write(.error(error), to: outbound, keepAlive: false)
                            return
                        }
                        let response = await Self.respond(
                            to: requestHead, body: body, peer: peer, tracking: current, with: handler)
                        Self.wipe(&body)
                        if case .events(let after) = response {
                            let logger = self.logger
                            let items = handler.events.subscribe(after: after) {
                                // The client fell behind: the stream ends with `overflow`; a
                                // client that does not read even that is cut off shortly.
                                logger.notice("event stream overflowed; closing it", metadata: ["pid": "\(peer.pid)"])
                                channel.eventLoop.scheduleTask(in: .seconds(2)) { channel.close(promise: nil) }
                            }
                            try await EventStream(
                                items: items, writeTimeout: limits.eventWriteTimeout, keepAlive: limits.eventKeepAlive
                            ).run(to: outbound, channel: channel)
                            return
                        }
                        try await write(response, to: outbound, keepAlive: requestHead.isKeepAlive)
                        watch.eventLoop.execute { watch.value.responseSent() }
                        if !requestHead.isKeepAlive {
                            // A full close drops writes still pending (apple/swift-nio#2795): an
                            // answer over ~32 KB was cut. The half-close waits for them (bounded:
                            // a client that stops reading is closed at the idle timeout).
                            try? await channel.close(mode: .output)
                            return
                        }
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
    static func respond(
        to head: HTTPRequestHead, body: [UInt8], peer: PeerCredentials, tracking current: CurrentRequest,
        with handler: APIHandler
    ) async -> APIResponse {
        let (path, query) = RequestTarget.split(head.uri)
        let request = APIRequest(
            method: head.method, path: path, query: query, headers: head.headers, body: body, peer: peer)
        let task = Task { await handler.handle(request) }
        current.start(task)
        defer { current.finish() }
        return await withTaskCancellationHandler {
            await task.value
        } onCancel: {
            task.cancel()
        }
    }

    /// Overwrites a buffer that may have carried a PIN before it is released.
    static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return }
            explicit_bzero(base, raw.count)
        }
        bytes.removeAll()
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
}

/// The request a connection is handling now, so the connection's close can cancel it.
final class CurrentRequest: Sendable {
    private let state = Mutex<(task: Task<APIResponse, Never>?, closed: Bool)>((nil, false))

    func start(_ task: Task<APIResponse, Never>) {
        let closed = state.withLock { s -> Bool in
            s.task = task
            return s.closed
        }
        if closed { task.cancel() }
    }

    func finish() { state.withLock { $0.task = nil } }

    func cancel() {
        let task = state.withLock { s -> Task<APIResponse, Never>? in
            s.closed = true
            return s.task
        }
        task?.cancel()
    }
}
