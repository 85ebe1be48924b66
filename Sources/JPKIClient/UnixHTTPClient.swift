import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A minimal HTTP/1.1 client over a Unix domain socket: one request per connection.
public struct UnixHTTPClient: Sendable {
    public let socketPath: String

    public init(socketPath: String) { self.socketPath = socketPath }

    public struct Response: Sendable {
        public let status: Int
        public let headers: [String: String]
        public let body: Data
    }

    public enum ClientError: Error, CustomStringConvertible {
        case cannotConnect(String, Int32)
        case protocolError(String)

        public var description: String {
            switch self {
            case .cannotConnect(let path, let code):
                "cannot connect to jpkid at \(path): \(String(cString: strerror(code))) (is jpkid running? see --socket)"
            case .protocolError(let what): "unexpected answer from jpkid: \(what)"
            }
        }
    }

    /// Sends one request and reads the whole response.
    /// jpkid answers every request within its card timeout; a daemon that does not answer within
    /// this fails the request instead of holding the caller.
    public static let requestTimeoutSeconds = 30

    public func send(_ method: String, _ path: String, json body: Data? = nil) throws -> Response {
        let fd = try connectSocket()
        defer { close(fd) }
        var timeout = timeval(tv_sec: Self.requestTimeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        try writeRequest(fd, method, path, body: body)
        var reader = LineReader(fd: fd)
        let (status, headers) = try reader.readHead()
        let payload: Data
        if headers["transfer-encoding"]?.lowercased() == "chunked" {
            var all = Data()
            while let chunk = try reader.readChunk() { all.append(chunk) }
            payload = all
        } else if let length = headers["content-length"].flatMap(Int.init) {
            payload = try reader.read(exactly: length)
        } else {
            payload = try reader.readToEnd()
        }
        return Response(status: status, headers: headers, body: payload)
    }

    /// Opens a server-sent event stream and calls `onEvent(type, data)` until it returns false
    /// or the stream ends. `onOpen` runs once the daemon has accepted the stream: every event
    /// from then on is delivered. A refusal is returned as the response.
    public func events(
        _ path: String, onOpen: () -> Void = {}, onEvent: (String, String) -> Bool
    ) throws -> Response? {
        let fd = try connectSocket()
        defer { close(fd) }
        try writeRequest(fd, "GET", path, body: nil)
        var reader = LineReader(fd: fd)
        let (status, headers) = try reader.readHead()
        guard status == 200 else {
            let body = headers["content-length"].flatMap(Int.init).map { try? reader.read(exactly: $0) } ?? nil
            return Response(status: status, headers: headers, body: body ?? Data())
        }
        onOpen()
        var pending = ""
        var type = "message"
        var data: [String] = []
        while let chunk = try reader.readChunk() {
            pending += String(decoding: chunk, as: UTF8.self)
            while let newline = pending.firstIndex(of: "\n") {
                let line = String(pending[..<newline])
                pending = String(pending[pending.index(after: newline)...])
                if line.isEmpty {
                    if !data.isEmpty, !onEvent(type, data.joined(separator: "\n")) { return nil }
                    type = "message"
                    data = []
                } else if line.hasPrefix("event:") {
                    type = line.dropFirst(6).trimmingCharacters(in: .whitespaces)
                } else if line.hasPrefix("data:") {
                    data.append(line.dropFirst(5).trimmingCharacters(in: .whitespaces))
                }
            }
        }
        return nil
    }

    func connectSocket() throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClientError.cannotConnect(socketPath, errno) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(socketPath.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw ClientError.cannotConnect(socketPath, ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw ClientError.cannotConnect(socketPath, code)
        }
        return fd
    }

    func writeRequest(
        _ fd: Int32, _ method: String, _ path: String, body: Data?, headers: [(String, String)] = []
    ) throws {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nUser-Agent: jpkictl\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body {
            head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n"
        }
        var bytes = Array((head + "\r\n").utf8)
        if let body { bytes += body }
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
            }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw ClientError.protocolError("the connection closed while sending") }
            sent += n
        }
    }
}

/// Buffered reads from a socket: lines, exact counts and chunked bodies.
struct LineReader {
    let fd: Int32
    var buffer: [UInt8] = []

    init(fd: Int32) { self.fd = fd }

    mutating func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, 4096, 0) }
            if n < 0, errno == EINTR { continue }
            if n < 0 { throw UnixHTTPClient.ClientError.protocolError("read failed") }
            if n == 0 { return false }
            buffer += chunk.prefix(n)
            return true
        }
    }

    mutating func readLine() throws -> String? {
        while true {
            if let index = buffer.firstIndex(of: 0x0A) {
                var line = Array(buffer[..<index])
                buffer.removeFirst(index + 1)
                if line.last == 0x0D { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            guard try fill() else { return nil }
        }
    }

    mutating func read(exactly count: Int) throws -> Data {
        while buffer.count < count {
            guard try fill() else { throw UnixHTTPClient.ClientError.protocolError("the body ended early") }
        }
        defer { buffer.removeFirst(count) }
        return Data(buffer.prefix(count))
    }

    mutating func readToEnd() throws -> Data {
        while try fill() {}
        defer { buffer = [] }
        return Data(buffer)
    }

    mutating func readHead() throws -> (Int, [String: String]) {
        guard let statusLine = try readLine() else {
            throw UnixHTTPClient.ClientError.protocolError("no response")
        }
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw UnixHTTPClient.ClientError.protocolError("bad status line")
        }
        var headers: [String: String] = [:]
        while let line = try readLine(), !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        return (status, headers)
    }

    /// The next chunk of a chunked body; nil at its end.
    mutating func readChunk() throws -> Data? {
        guard let sizeLine = try readLine() else { return nil }
        guard let field = sizeLine.split(separator: ";").first, let size = Int(field, radix: 16) else {
            throw UnixHTTPClient.ClientError.protocolError("bad chunk size")
        }
        if size == 0 { return nil }
        let data = try read(exactly: size)
        _ = try readLine()
        return data
    }
}
