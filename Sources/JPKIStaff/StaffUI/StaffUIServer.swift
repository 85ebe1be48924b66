import Foundation
import JPKIAPI
import JPKIClient
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The staff page's server (`jpkictl ui`): HTTP/1.1 on 127.0.0.1 only, one request per
/// connection, each on its own thread. It serves the page and forwards the page's API calls to
/// jpkid over its Unix socket with this user's credentials, so jpkid's group checks decide.
///
/// A small loop on a socket of its own; its calls to jpkid go through ``UnixHTTPClient``. Every
/// wait and buffer is bounded: request heads 16 KiB, bodies 4 KiB, 10 s to send a request,
/// 32 connections, 8 event streams.
public final class StaffUIServer: Sendable {
    public let access: StaffUIAccess
    let jpkid: UnixHTTPClient
    let listener: Int32
    let log: @Sendable (String) -> Void
    let counts = Mutex((connections: 0, streams: 0))

    static let maxConnections = 32
    static let maxStreams = 8
    static let ioTimeoutSeconds = 10

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

    /// Binds 127.0.0.1:`port` (0: a free port) and starts accepting on a thread of its own.
    public init(
        port: Int, jpkidSocket: String, token: String = StaffUIAccess.randomToken(),
        log: @escaping @Sendable (String) -> Void
    ) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw StartError.cannotListen(errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(clamping: port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            let code = errno
            close(fd)
            throw StartError.cannotListen(code)
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        access = StaffUIAccess(token: token, port: Int(UInt16(bigEndian: actual.sin_port)))
        jpkid = UnixHTTPClient(socketPath: jpkidSocket)
        self.log = log
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    public var port: Int { access.port }

    /// The URL to open: the token travels only here, never a PIN.
    public var url: String { "http://127.0.0.1:\(port)/?token=\(access.token)" }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                // Out of descriptors or memory, a protocol error: wait a little and go on. Only a
                // listener that is gone ends the server.
                if errno == EBADF || errno == EINVAL || errno == ENOTSOCK { return }
                usleep(100_000)
                continue
            }
            let admitted = counts.withLock { counts in
                guard counts.connections < Self.maxConnections else { return false }
                counts.connections += 1
                return true
            }
            guard admitted else {
                Self.sendAll(client, Self.plain(503, "busy"))
                close(client)
                continue
            }
            Thread.detachNewThread { [self] in
                defer {
                    close(client)
                    counts.withLock { $0.connections -= 1 }
                }
                serve(client)
            }
        }
    }

    private func serve(_ client: Int32) {
        var timeout = timeval(tv_sec: Self.ioTimeoutSeconds, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let request: StaffUIRequest
        switch Self.readRequest(client) {
        case .success(let parsed): request = parsed
        case .failure(let error):
            Self.sendAll(client, Self.plain(error == .tooLarge ? 413 : 400, "bad request"))
            log("- - \(error == .tooLarge ? 413 : 400)")
            return
        }
        guard access.allowed(request) else {
            Self.sendAll(client, Self.plain(403, "forbidden"))
            log("\(Self.loggable(request.method)) \(Self.loggable(request.path)) 403")
            return
        }
        if request.method == "GET", request.path == "/api/events" {
            log("GET /api/events 200")
            relayEvents(to: client, lastEventID: request.headers["last-event-id"])
            return
        }
        let response = StaffUIRoutes(jpkid: jpkid, token: access.token).respond(to: request)
        Self.sendAll(client, response.bytes)
        log("\(Self.loggable(request.method)) \(Self.loggable(request.path)) \(response.status)")
    }

    /// A path fit for the log: never the query (the token), escaped, bounded.
    static func loggable(_ path: String) -> String {
        String(
            path.prefix(120).unicodeScalars.map {
                $0.isASCII && $0.value >= 0x21 && $0.value < 0x7F ? String($0) : "%\(String($0.value, radix: 16))"
            }.joined())
    }

    /// Relays jpkid's event stream as it comes (ids, events, keep-alive comments). When jpkid
    /// cannot be reached the page is told and retries; a peer that left fails the next write.
    private func relayEvents(to client: Int32, lastEventID: String?) {
        let admitted = counts.withLock { counts in
            guard counts.streams < Self.maxStreams else { return false }
            counts.streams += 1
            return true
        }
        guard admitted else {
            Self.sendAll(client, Self.plain(503, "too many event streams"))
            return
        }
        defer { counts.withLock { $0.streams -= 1 } }
        let head =
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
            + "X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\nretry: 1000\n\n"
        guard Self.sendAll(client, Array(head.utf8)) else { return }
        let unreachable = Array("event: unreachable\ndata: {}\n\n".utf8)
        let valid = lastEventID.flatMap { UInt64($0) }.map { [("Last-Event-ID", String($0))] } ?? []
        // jpkid comments every 15 s: the client's read timeout ends a stream that falls silent.
        do {
            let refusal = try jpkid.eventStream("/v1/events", headers: valid) { item in
                switch item {
                case .event(let event): Self.sendAll(client, Array(event.wireForm.utf8))
                case .keepAlive: Self.sendAll(client, Array(": keep-alive\n\n".utf8))
                }
            }
            if let refusal {
                Self.sendAll(client, Array("event: refused\ndata: {\"status\":\(refusal.status)}\n\n".utf8))
            }
        } catch {
            Self.sendAll(client, unreachable)
        }
    }

    static func readRequest(_ fd: Int32) -> Result<StaffUIRequest, StaffUIRequest.ParseError> {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        let separator: [UInt8] = [13, 10, 13, 10]
        var headEnd: Int?
        // The whole request within the I/O timeout, not each read: a client sending a byte at a
        // time cannot keep a slot.
        let deadline = ContinuousClock.now + .seconds(ioTimeoutSeconds)
        while headEnd == nil {
            guard ContinuousClock.now < deadline else { return .failure(.malformed) }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, 4096, 0) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return .failure(.malformed) }
            buffer += chunk.prefix(n)
            let start = max(0, buffer.count - n - 3)
            if buffer.count >= 4 {
                headEnd = (start...(buffer.count - 4)).first { buffer[$0..<($0 + 4)].elementsEqual(separator) }
            }
            if headEnd == nil, buffer.count > StaffUIRequest.maxHeadBytes { return .failure(.tooLarge) }
        }
        guard let end = headEnd else { return .failure(.malformed) }
        guard end <= StaffUIRequest.maxHeadBytes else { return .failure(.tooLarge) }
        guard let text = String(validating: buffer[..<end], as: UTF8.self) else { return .failure(.malformed) }
        var request: StaffUIRequest
        do { request = try StaffUIRequest.parseHead(text) } catch { return .failure(error) }
        if request.headers["transfer-encoding"] != nil { return .failure(.malformed) }
        let length = request.headers["content-length"].map { Int($0) } ?? 0
        guard let length, length >= 0 else { return .failure(.malformed) }
        guard length <= StaffUIRequest.maxBodyBytes else { return .failure(.tooLarge) }
        var body = Array(buffer[(end + 4)...])
        while body.count < length {
            guard ContinuousClock.now < deadline else { return .failure(.malformed) }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, 4096, 0) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return .failure(.malformed) }
            body += chunk.prefix(n)
        }
        request.body = Data(body.prefix(length))
        return .success(request)
    }

    static func plain(_ status: Int, _ text: String) -> [UInt8] {
        StaffUIResponse(status: status, contentType: "text/plain; charset=utf-8", body: Data(text.utf8)).bytes
    }

    @discardableResult
    static func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
            }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return false }
            sent += n
        }
        return true
    }
}
