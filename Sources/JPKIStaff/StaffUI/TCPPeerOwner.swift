#if canImport(Glibc)
    import Glibc
#endif

/// Who owns the other end of a TCP connection on 127.0.0.1: Linux lists every socket of this
/// network namespace with its owner's uid in `/proc/net/tcp` (and `tcp6`, where an IPv4 peer may
/// appear v4-mapped). The peer's socket is the one whose local port is the connection's remote
/// port and whose remote port is this server's, both on a loopback address.
public enum TCPPeerOwner {
    public static let tables = ["/proc/net/tcp", "/proc/net/tcp6"]

    /// The uid owning the socket 127.0.0.1:`peerPort` → 127.0.0.1:`serverPort`; nil when no table
    /// lists it (the peer already closed it, or it is not on this machine).
    public static func uid(peerPort: Int, serverPort: Int, tables: [String] = tables) -> UInt32? {
        for path in tables {
            guard let text = readAll(path) else { continue }
            if let uid = uid(inTable: text, peerPort: peerPort, serverPort: serverPort) { return uid }
        }
        return nil
    }

    /// The same, from a table's text (testable without /proc).
    static func uid(inTable text: String, peerPort: Int, serverPort: Int) -> UInt32? {
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count > 7,
                let local = endpoint(fields[1]), let remote = endpoint(fields[2]),
                local.port == peerPort, remote.port == serverPort, local.loopback, remote.loopback
            else { continue }
            return UInt32(fields[7])
        }
        return nil
    }

    /// `0100007F:C350` (IPv4) or 32 hex digits then `:PORT` (IPv6): the port, and whether the
    /// address is IPv4 loopback (127.0.0.0/8, plain or v4-mapped) or ::1.
    static func endpoint(_ field: Substring) -> (port: Int, loopback: Bool)? {
        let parts = field.split(separator: ":")
        guard parts.count == 2, let port = Int(parts[1], radix: 16) else { return nil }
        let address = parts[0]
        switch address.count {
        case 8:
            return (port, isLoopbackV4(address))
        case 32:
            // Four 32-bit words, each printed in the host's byte order.
            let words = stride(from: 0, to: 32, by: 8).map { start in
                address[
                    address.index(
                        address.startIndex, offsetBy: start)..<address.index(
                            address.startIndex, offsetBy: start + 8)]
            }
            let mapped = (UInt32(words[2], radix: 16) ?? 0).bigEndian == 0x0000_FFFF
            let v6Loopback = (UInt32(words[3], radix: 16) ?? 0).bigEndian == 1
            let zeros = words[0] == "00000000" && words[1] == "00000000"
            return (port, zeros && ((mapped && isLoopbackV4(words[3])) || (words[2] == "00000000" && v6Loopback)))
        default:
            return nil
        }
    }

    /// An IPv4 address as /proc prints it (the network-order word read in host order).
    static func isLoopbackV4(_ hex: Substring) -> Bool {
        guard let raw = UInt32(hex, radix: 16) else { return false }
        return raw.bigEndian >> 24 == 127
    }

    /// A whole /proc file (its size reads as 0, so it is read to the end), at most 64 MiB.
    static func readAll(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while bytes.count < 64 << 20 {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            bytes += chunk.prefix(n)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
