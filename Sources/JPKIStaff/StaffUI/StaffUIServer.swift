import FoundationEssentials
import HTTPServing
import JPKIClient
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The staff page's server (`jpkictl ui`): HTTP/1.1 on 127.0.0.1 only, one request per
/// connection, on SwiftNIO (the event loop jpkid's client uses): each admitted connection is a
/// `NIOAsyncChannel` served in a task of the server's (``StaffUIConnection``). It serves the page and forwards
/// the page's API calls to jpkid over its Unix socket with this user's credentials, so jpkid's
/// group checks decide.
///
/// **Who is served.** Only the user whose browser it is (``StaffUIUser``: the one running
/// `jpkictl ui`, under sudo the invoking user) and root. Each TCP connection's peer socket is
/// looked up by its exact 4-tuple in the kernel (``TCPPeerOwner``: sock_diag, constant cost,
/// ESTABLISHED sockets only) as it is accepted, on a thread pool and never on the event loop, at
/// most 64 lookups at once (more are closed unanswered); any other uid's connection is closed at
/// once, before it takes a slot, and logged (at most once a second per uid). Slots are per uid:
/// 32 connections, 8 event streams.
///
/// **Sessions and CSRF** (``StaffUIAccess``); for a new page or endpoint:
/// - `jpkictl ui --open` asks the server (its control socket, ``StaffUILauncher``) for a launch
///   ticket, gets it written into a 0600 file that posts it to `POST /session`, opens that file
///   and the server deletes it on first use or after 60 s. No secret is ever in a URL or argv.
/// - `POST /session` sets the session cookie (`HttpOnly; SameSite=Strict`) and sends the
///   browser on to `/` with `location.replace` (nothing with a secret in the history).
/// - GET resources (the page, assets, `/api/state`, `/api/events`) need only the cookie.
/// - Every other method needs the cookie **and** `X-Staff-Token: <the page's <meta
///   name="staff-token">>` **and** `Origin: http://127.0.0.1:PORT` exactly **and** a JSON body.
///   A new POST endpoint in ``StaffUIRoutes`` gets all of this by being routed; the page's
///   `fetch` adds the header (see `postJSON`-style calls in app.js).
/// - A request whose browser leaves (tab closed) closes its request to jpkid at once, so jpkid
///   cancels it and a PIN in it never reaches the card.
///
/// Every wait and buffer is bounded: request heads 16 KiB, bodies 4 KiB, 10 s to send a request
/// and 10 s to take an answer (``StaffUIConnection``).
public final class StaffUIServer: Sendable {
    public let access: StaffUIAccess
    public let user: StaffUIUser
    let routes: StaffUIRoutes
    let jpkid: UnixHTTPClient
    let listener: any Channel
    let control: (any Channel)?
    let launcher: StaffUILauncher?
    let log: @Sendable (String) -> Void
    let counts = Mutex<[UInt32: (connections: Int, streams: Int)]>([:])
    /// Launcher files by ticket, deleted on first use or when the ticket expires.
    let launchFiles = Mutex<[String: String]>([:])
    /// When each refusal was last logged (by uid and reason), for logging at most once a second.
    let refusalsLogged = Mutex<[String: ContinuousClock.Instant]>([:])
    let peerOwner: @Sendable (_ peer: SocketAddress, _ local: SocketAddress) -> UInt32?
    /// Peer lookups under way (on the thread pool): at most ``maxPendingLookups``.
    let pendingLookups = Atomic<Int>(0)
    /// Admitted connections, for the task that serves them (bounded by the per-user slots).
    let accepted: AsyncStream<(StaffUIConnection.Channel, uid: UInt32)>.Continuation

    static let maxConnectionsPerUser = 32
    static let maxStreamsPerUser = 8
    static let maxPendingLookups = 64
    static let ioTimeout = TimeAmount.seconds(10)

    public enum StartError: Error, CustomStringConvertible {
        case cannotListen(Int32)
        public var description: String {
            "cannot listen on 127.0.0.1: \(String(cString: strerror(code)))"
        }
        var code: Int32 {
            switch self {
            case .cannotListen(let code): code
            }
        }
    }

    /// Binds 127.0.0.1:`port` (0: a free port) and starts accepting; with a `launcher`, also its
    /// control socket (a later `jpkictl ui --open` asks it for a new session).
    public init(
        port: Int, jpkidSocket: String, user: StaffUIUser = .current(), launcher: StaffUILauncher? = nil,
        ticketLifetime: Duration = .seconds(60),
        peerOwner: @escaping @Sendable (_ peer: SocketAddress, _ local: SocketAddress) -> UInt32? = {
            TCPPeerOwner.uid(peer: $0, local: $1)
        },
        log: @escaping @Sendable (String) -> Void
    ) throws {
        let jpkid = UnixHTTPClient(socketPath: jpkidSocket)
        let box = ServerBox()
        let (connections, accepted) = AsyncStream.makeStream(of: (StaffUIConnection.Channel, uid: UInt32).self)
        do {
            listener = try ServerBootstrap(group: UnixHTTPClient.sharedEventLoopGroup)
                .serverChannelOption(.backlog, value: 64)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    guard let server = box.server else { return channel.close() }
                    return server.peerUID(of: channel).flatMapThrowing { owner in
                        guard let uid = server.admit(owner) else {
                            channel.close(promise: nil)
                            return
                        }
                        channel.closeFuture.whenComplete { _ in server.release(uid) }
                        try StaffUIConnection.addHandlers(to: channel.pipeline.syncOperations)
                        server.accepted.yield(
                            (try StaffUIConnection.Channel(wrappingChannelSynchronously: channel), uid))
                    }
                }
                .bind(host: "127.0.0.1", port: port).wait()
        } catch let error as IOError {
            throw StartError.cannotListen(error.errnoCode)
        }
        let bound = listener.localAddress?.port ?? port
        access = StaffUIAccess(port: bound, ticketLifetime: ticketLifetime)
        routes = StaffUIRoutes(jpkid: jpkid, access: access)
        self.user = user
        self.jpkid = jpkid
        self.log = log
        self.launcher = launcher
        self.peerOwner = peerOwner
        self.accepted = accepted
        if let launcher {
            control = try? StaffUIControl.bind(launcher.controlSocket, user: user, box: box)
        } else {
            control = nil
        }
        box.server = self
        // On the event loops, like the connections' own I/O: nothing here waits for a thread of
        // Swift concurrency's pool.
        Task(executorPreference: EventLoopTaskExecutor(listener.eventLoop)) { [self] in
            await withDiscardingTaskGroup { group in
                for await (connection, uid) in connections {
                    group.addTask(executorPreference: EventLoopTaskExecutor(connection.channel.eventLoop)) {
                        await StaffUIConnection.serve(connection, server: self, uid: uid)
                    }
                }
            }
        }
    }

    public var port: Int { access.port }

    /// `http://127.0.0.1:PORT/`: no secret in it; a browser without a session gets 403.
    public var url: String { "http://127.0.0.1:\(port)/" }

    // MARK: - Who is served

    /// Whether `uid` may use the page: its user and root.
    public func serves(_ uid: UInt32) -> Bool { uid == user.uid || uid == 0 }

    /// The uid owning the peer's socket, looked up on the thread pool (a kernel round trip must
    /// not hold the event loop); nil when unknown, or when ``maxPendingLookups`` are under way
    /// already (a flood of connections is closed, not queued).
    func peerUID(of channel: any Channel) -> EventLoopFuture<UInt32?> {
        guard let peer = channel.remoteAddress, let local = channel.localAddress else {
            return channel.eventLoop.makeSucceededFuture(nil)
        }
        let pending = pendingLookups.wrappingAdd(1, ordering: .relaxed).newValue
        guard pending <= Self.maxPendingLookups else {
            pendingLookups.wrappingSubtract(1, ordering: .relaxed)
            logRateLimited(
                "lookups", "more than \(Self.maxPendingLookups) connections await their owner's lookup; closed one")
            return channel.eventLoop.makeSucceededFuture(nil)
        }
        let owner = peerOwner
        return NIOThreadPool.singleton.runIfActive(eventLoop: channel.eventLoop) { owner(peer, local) }
            .always { _ in self.pendingLookups.wrappingSubtract(1, ordering: .relaxed) }
            .recover { _ in nil }
    }

    /// The peer's uid when it is served and has a free slot; nil (after logging) otherwise.
    func admit(_ owner: UInt32?) -> UInt32? {
        guard let uid = owner, serves(uid) else {
            refuseStranger(owner)
            return nil
        }
        let admitted = counts.withLock { counts in
            guard counts[uid, default: (0, 0)].connections < Self.maxConnectionsPerUser else { return false }
            counts[uid, default: (0, 0)].connections += 1
            return true
        }
        if !admitted {
            logRateLimited("cap/\(uid)", "uid \(uid) holds \(Self.maxConnectionsPerUser) connections; closed one more")
        }
        return admitted ? uid : nil
    }

    func release(_ uid: UInt32) {
        counts.withLock { counts in
            counts[uid]?.connections -= 1
            if counts[uid].map({ $0.connections <= 0 && $0.streams <= 0 }) == true { counts[uid] = nil }
        }
    }

    /// Logs a connection from another user, at most once a second per uid.
    func refuseStranger(_ uid: UInt32?) {
        logRateLimited(
            "stranger/\(uid.map(String.init) ?? "?")",
            uid.map { "refused a connection from uid \($0) (this page serves uid \(user.uid) and root)" }
                ?? "refused a connection whose owner is unknown")
    }

    /// Logs `message` unless a line with the same `key` went out less than a second ago: a
    /// flood cannot flood the log.
    func logRateLimited(_ key: String, _ message: String) {
        let now = ContinuousClock.now
        let shouldLog = refusalsLogged.withLock { seen in
            if let last = seen[key], now - last < .seconds(1) { return false }
            if seen.count > 1024 { seen.removeAll() }
            seen[key] = now
            return true
        }
        if shouldLog { log(message) }
    }

    func admitStream(_ uid: UInt32) -> Bool {
        counts.withLock { counts in
            guard counts[uid, default: (0, 0)].streams < Self.maxStreamsPerUser else { return false }
            counts[uid, default: (0, 0)].streams += 1
            return true
        }
    }

    func releaseStream(_ uid: UInt32) { counts.withLock { $0[uid]?.streams -= 1 } }

    // MARK: - Sessions

    /// A new session's launcher file (for `--open`, or a later `jpkictl ui --open`): its path.
    public func newLaunch() throws -> String {
        guard let launcher else { throw StaffUILauncher.Failure(description: "no launcher directory") }
        let ticket = access.newTicket()
        let path = try launcher.write(ticket: ticket, port: port)
        launchFiles.withLock { $0[ticket] = path }
        let seconds = Int64(access.ticketLifetime.components.seconds)
        listener.eventLoop.scheduleTask(in: .seconds(max(1, seconds))) { [self] in forget(ticket) }
        return path
    }

    /// The ticket is spent or expired: its file goes.
    func forget(_ ticket: String) {
        if let path = launchFiles.withLock({ $0.removeValue(forKey: ticket) }) { unlink(path) }
    }

    /// A path fit for the log: never the query, escaped, bounded.
    static func loggable(_ path: String) -> String {
        String(
            path.prefix(120).unicodeScalars.map {
                $0.isASCII && $0.value >= 0x21 && $0.value < 0x7F ? String($0) : "%\(String($0.value, radix: 16))"
            }.joined())
    }
}

/// The server, for the child channel initializers, set once the server is built.
final class ServerBox: Sendable {
    private let value = Mutex<StaffUIServer?>(nil)
    var server: StaffUIServer? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}
