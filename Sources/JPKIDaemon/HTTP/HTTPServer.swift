import ErrorCodes
import FoundationEssentials
import HTTPServing
import JPKIAPI
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

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

    let handler: APIHandler
    let limits: Limits
    let logger: Logger
    let connections: ConnectionTable
    let refusals = RefusalLog()
    let trim = IdleTrim()
    let open = OpenConnections()
    let keepAlives: KeepAliveTimer

    public init(handler: APIHandler, limits: Limits = Limits(), logger: Logger) {
        self.handler = handler
        self.limits = limits
        self.logger = logger
        self.keepAlives = KeepAliveTimer(every: limits.eventKeepAlive)
        self.connections = ConnectionTable(
            limit: limits.maxConnections, perUser: limits.maxConnectionsPerUser,
            operatorReserved: limits.operatorReservedConnections, streamsPerUser: limits.maxEventStreamsPerUser)
    }

    /// Logs (rate-limited) and counts a refused connection or event stream.
    func refused(_ peer: PeerCredentials, _ reason: ConnectionTable.Refusal) {
        handler.metrics.connectionRefused(reason.rawValue)
        if let suppressed = refusals.shouldLog(uid: peer.uid, reason: reason) {
            logger.notice(
                "connection refused",
                metadata: [
                    "uid": "\(peer.uid)", "pid": "\(peer.pid)", "reason": "\(reason.rawValue)",
                    "suppressed": "\(suppressed)",
                ])
        }
    }

    /// Serves until cancelled (graceful shutdown cancels it); `onReady` runs once the socket listens.
    /// On the way out it waits (at most the shutdown grace and 2 s) for open connections to close.
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
            // Each channel keeps its receive buffer for the next read: 512 bytes hold a kiosk's
            // request (NIO's 2 KiB default was a fifth of an idle event stream's cost); a larger
            // request grows the next buffers, up to 64 KiB.
            .childChannelOption(
                .recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65536)
            )
            .childChannelInitializer { [self] channel in accept(channel) }

        let server: any Channel
        var socketFile: String?
        switch binding {
        case .path(let path, let group):
            let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast()
                .joined(separator: "/")
            if !directory.isEmpty {
                try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            // Bind under a private umask so the socket is never briefly world-accessible.
            let oldMask = umask(0o117)
            defer { umask(oldMask) }
            server = try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
            chmod(path, 0o660)
            if let group, let gid = AccessPolicy.gid(of: group) { chown(path, uid_t.max, gid) }
            socketFile = path
        case .inherited(let fd):
            server = try await bootstrap.withBoundSocket(fd).get()
        }
        defer { if let socketFile { unlink(socketFile) } }
        onReady()
        let grace = limits.shutdownGrace
        let stop: @Sendable () -> Void = { [open] in
            server.close(promise: nil)
            open.shutDown(grace: grace)
        }
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                try? await server.closeFuture.get()
            } onCancel: {
                stop()
            }
        } onGracefulShutdown: {
            stop()
        }
        // The listening socket closed (shutdown, or an error): running requests get their grace.
        // The wait is a task of its own: this one may be cancelled, and it still waits.
        stop()
        await Task { [open] in await open.closed(within: grace + .seconds(2)) }.value
    }

    /// A new connection: its peer is read, then it is admitted (the HTTP pipeline and
    /// ``APIConnectionHandler``) or, over a cap, answered `503` and closed.
    private func accept(_ channel: any Channel) -> EventLoopFuture<Void> {
        PeerCredentials.read(from: channel).flatMap { [self] peer in
            // Operators may take the reserved slots. The peer's own groups are known
            // (SO_PEERGROUPS), so this asks NSS only for a peer with more than 256 groups.
            let isOperator = handler.policy.current.allows(peer, .operate)
            if let refusal = connections.admit(peer.uid, isOperator: isOperator) {
                refused(peer, refusal)
                // No HTTP pipeline: the answer goes out as bytes, whatever the client sends.
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RefusingHandler(refusal))
                }
            }
            return channel.eventLoop.makeCompletedFuture {
                do {
                    let watch = ConnectionGuard(headerTimeout: limits.headerTimeout, idleTimeout: limits.idleTimeout)
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(watch)
                    try pipeline.configureHTTPServerPipeline(
                        withErrorHandling: true, withOutboundHeaderValidation: true, withEncoderConfiguration: .init(),
                        withDecoderLimitConfiguration: limits.request.decoder)
                    // Keep-alive: a body over the cap is read to its end, then answered `413`.
                    try pipeline.addHandler(HTTPRequestCollector(.init(bodyBytes: limits.request.bodyBytes)))
                    // It gives the connection's slots back when the connection closes.
                    try pipeline.addHandler(APIConnectionHandler(server: self, peer: peer, watch: watch))
                } catch {
                    connections.release(peer.uid)
                    throw error
                }
            }
        }
    }
}
