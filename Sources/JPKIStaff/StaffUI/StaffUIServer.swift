import FoundationEssentials
import JPKIClient
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The staff page's server (`jpkictl ui`): HTTP/1.1 on 127.0.0.1 only, one request per
/// connection, on SwiftNIO (the event loop jpkid's client uses). It serves the page and forwards
/// the page's API calls to jpkid over its Unix socket with this user's credentials, so jpkid's
/// group checks decide.
///
/// Every wait and buffer is bounded: request heads 16 KiB, bodies 4 KiB, 10 s to send a request
/// and 10 s to take an answer, 32 connections, 8 event streams (``StaffUIConnection``).
public final class StaffUIServer: Sendable {
    public let access: StaffUIAccess
    let routes: StaffUIRoutes
    let jpkid: UnixHTTPClient
    let listener: any Channel
    let log: @Sendable (String) -> Void
    let counts = Mutex((connections: 0, streams: 0))

    static let maxConnections = 32
    static let maxStreams = 8
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

    /// Binds 127.0.0.1:`port` (0: a free port) and starts accepting.
    public init(
        port: Int, jpkidSocket: String, token: String = StaffUIAccess.randomToken(),
        log: @escaping @Sendable (String) -> Void
    ) throws {
        let jpkid = UnixHTTPClient(socketPath: jpkidSocket)
        let routes = StaffUIRoutes(jpkid: jpkid, token: token)
        let box = ServerBox()
        let limits = Self.decoderLimits
        do {
            listener = try ServerBootstrap(group: UnixHTTPClient.sharedEventLoopGroup)
                .serverChannelOption(.backlog, value: 64)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        guard let server = box.server else { throw ChannelError.ioOnClosedChannel }
                        let pipeline = channel.pipeline.syncOperations
                        try pipeline.addHandler(HTTPResponseEncoder())
                        try pipeline.addHandler(
                            ByteToMessageHandler(
                                HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, limitConfiguration: limits)))
                        try pipeline.addHandler(StaffUIConnection(server: server, admitted: server.admitConnection()))
                        channel.closeFuture.whenComplete { _ in server.counts.withLock { $0.connections -= 1 } }
                    }
                }
                .bind(host: "127.0.0.1", port: port).wait()
        } catch let error as IOError {
            throw StartError.cannotListen(error.errnoCode)
        }
        access = StaffUIAccess(token: token, port: listener.localAddress?.port ?? port)
        self.jpkid = jpkid
        self.routes = routes
        self.log = log
        box.server = self
    }

    public var port: Int { access.port }

    /// The URL to open: the token travels only here, never a PIN.
    public var url: String { "http://127.0.0.1:\(port)/?token=\(access.token)" }

    /// A request head (the request line with it) may take 16 KiB.
    static var decoderLimits: NIOHTTPDecoderLimitConfiguration {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = StaffUIRequest.maxHeadBytes
        limits.maxHeaderListSize = StaffUIRequest.maxHeadBytes
        limits.maxHeaderFieldCount = 100
        return limits
    }

    /// Counts a connection in; the caller refuses it (503) when false. Every connection is
    /// counted out when it closes.
    func admitConnection() -> Bool {
        counts.withLock { counts in
            counts.connections += 1
            return counts.connections <= Self.maxConnections
        }
    }

    func admitStream() -> Bool {
        counts.withLock { counts in
            guard counts.streams < Self.maxStreams else { return false }
            counts.streams += 1
            return true
        }
    }

    func releaseStream() { counts.withLock { $0.streams -= 1 } }

    /// A path fit for the log: never the query (the token), escaped, bounded.
    static func loggable(_ path: String) -> String {
        String(
            path.prefix(120).unicodeScalars.map {
                $0.isASCII && $0.value >= 0x21 && $0.value < 0x7F ? String($0) : "%\(String($0.value, radix: 16))"
            }.joined())
    }
}

/// The server, for the child channel initializer, set once the server is built.
private final class ServerBox: Sendable {
    private let value = Mutex<StaffUIServer?>(nil)
    var server: StaffUIServer? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}
