import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// Who owns the other end of a TCP connection on this machine, asked of the kernel by the exact
/// connection: one `NETLINK_SOCK_DIAG` request (an `inet_diag_req_v2` naming the peer's socket by
/// its 4-tuple: local address and port = the connection's remote end, remote address and port =
/// this server's end) answers with that one socket, its state, inode and owner's uid. The cost is
/// constant, however many sockets the machine holds.
///
/// Only an ESTABLISHED socket with an inode (a live socket some process holds) counts: a
/// TIME_WAIT or closing socket, or one the kernel no longer knows, has no owner, and the
/// connection is refused. An IPv4-mapped IPv6 peer is asked about as IPv6 (the kernel finds the
/// dual-stack socket by its IPv4 addresses).
public enum TCPPeerOwner {
    /// The socket the kernel reported.
    public struct Socket: Equatable, Sendable {
        public var uid: UInt32
        public var inode: UInt32
    }

    /// The uid owning the ESTABLISHED socket `peer` → `local` (the remote and local addresses of
    /// an accepted connection); nil when there is none (closed, TIME_WAIT, another namespace).
    public static func uid(peer: SocketAddress, local: SocketAddress) -> UInt32? {
        socket(peer: peer, local: local)?.uid
    }

    /// The ESTABLISHED socket whose local end is `peer` and whose remote end is `local`.
    public static func socket(peer: SocketAddress, local: SocketAddress) -> Socket? {
        guard let tuple = Tuple(peer: peer, local: local) else { return nil }
        let fd = Glibc.socket(AF_NETLINK, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), netlinkSockDiag)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        // Bounded: the kernel answers at once, but never wait on it for more than a second.
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let request = tuple.request(sequence: 1)
        let sent = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        guard sent == request.count else { return nil }
        var answer = [UInt8](repeating: 0, count: 8192)
        var received = -1
        repeat {
            received = answer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        } while received < 0 && errno == EINTR
        guard received > 0 else { return nil }
        return tuple.parse(answer.prefix(received), sequence: 1)
    }

    static let netlinkSockDiag: Int32 = 4  // NETLINK_SOCK_DIAG
    static let sockDiagByFamily: UInt16 = 20  // SOCK_DIAG_BY_FAMILY
    static let nlmsgError: UInt16 = 2  // NLMSG_ERROR
    static let requestFlag: UInt16 = 1  // NLM_F_REQUEST
    static let tcpEstablished: UInt8 = 1  // TCP_ESTABLISHED
    static let headerSize = 16  // struct nlmsghdr
    static let requestSize = 56  // struct inet_diag_req_v2
    static let messageSize = 72  // struct inet_diag_msg (without attributes)

    /// The peer socket's 4-tuple as `inet_diag_sockid` wants it: addresses and ports in network
    /// byte order, IPv4 in the first word; both ends of one family (an IPv4 end beside an IPv6
    /// one becomes IPv4-mapped).
    struct Tuple: Equatable {
        var family: UInt8
        var source: [UInt8]  // 16 bytes: the peer's address
        var sourcePort: UInt16
        var destination: [UInt8]  // 16 bytes: this server's address
        var destinationPort: UInt16

        init?(peer: SocketAddress, local: SocketAddress) {
            guard let peerPort = peer.port, let localPort = local.port,
                let peerAddress = Self.bytes(peer), let localAddress = Self.bytes(local)
            else { return nil }
            if peerAddress.count == 4 && localAddress.count == 4 {
                family = UInt8(AF_INET)
                source = peerAddress + [UInt8](repeating: 0, count: 12)
                destination = localAddress + [UInt8](repeating: 0, count: 12)
            } else {
                family = UInt8(AF_INET6)
                source = Self.v6(peerAddress)
                destination = Self.v6(localAddress)
            }
            sourcePort = UInt16(peerPort)
            destinationPort = UInt16(localPort)
        }

        static func bytes(_ address: SocketAddress) -> [UInt8]? {
            switch address {
            case .v4(let v4):
                return withUnsafeBytes(of: v4.address.sin_addr) { Array($0) }
            case .v6(let v6):
                return withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            default:
                return nil
            }
        }

        /// An `inet_diag_sockid` address as 16 IPv6 bytes (IPv4 becomes IPv4-mapped).
        static func canonical(_ family: UInt8, _ address: ArraySlice<UInt8>) -> [UInt8] {
            family == UInt8(AF_INET) ? v6(Array(address.prefix(4))) : Array(address)
        }

        static func v6(_ address: [UInt8]) -> [UInt8] {
            address.count == 16 ? address : [UInt8](repeating: 0, count: 10) + [0xFF, 0xFF] + address
        }

        /// `nlmsghdr` + `inet_diag_req_v2` for this one socket in state ESTABLISHED, with no
        /// cookie (INET_DIAG_NOCOOKIE).
        func request(sequence: UInt32) -> [UInt8] {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(TCPPeerOwner.headerSize + TCPPeerOwner.requestSize)
            bytes.append(native: UInt32(TCPPeerOwner.headerSize + TCPPeerOwner.requestSize))
            bytes.append(native: TCPPeerOwner.sockDiagByFamily)
            bytes.append(native: TCPPeerOwner.requestFlag)
            bytes.append(native: sequence)
            bytes.append(native: UInt32(0))  // port id: the kernel
            bytes += [family, UInt8(IPPROTO_TCP), 0, 0]  // family, protocol, extensions, pad
            bytes.append(native: UInt32(1) << TCPPeerOwner.tcpEstablished)  // idiag_states
            bytes.append(native: sourcePort.bigEndian)
            bytes.append(native: destinationPort.bigEndian)
            bytes += source + destination
            bytes.append(native: UInt32(0))  // interface: any
            bytes.append(native: UInt32.max)  // cookie: none
            bytes.append(native: UInt32.max)
            return bytes
        }

        /// The one socket of the answer when it is this tuple's, ESTABLISHED and held by a
        /// process (inode ≠ 0); nil for an error (ENOENT: no such socket), any other socket, or
        /// more than one message.
        func parse(_ answer: ArraySlice<UInt8>, sequence: UInt32) -> Socket? {
            let message = Array(answer)
            guard message.count >= TCPPeerOwner.headerSize + TCPPeerOwner.messageSize,
                Int(message.native(UInt32.self, at: 0)) == message.count,  // exactly one message
                message.native(UInt16.self, at: 4) == TCPPeerOwner.sockDiagByFamily,
                message.native(UInt32.self, at: 8) == sequence
            else { return nil }
            let body = TCPPeerOwner.headerSize
            // The socket may be of the other family (an IPv4 peer asked about as IPv4-mapped,
            // or a dual-stack IPv6 socket asked about as IPv4): compare both as IPv6.
            let replyFamily = message[body]
            guard replyFamily == UInt8(AF_INET) || replyFamily == UInt8(AF_INET6),
                message[body + 1] == TCPPeerOwner.tcpEstablished,
                message.native(UInt16.self, at: body + 4) == sourcePort.bigEndian,
                message.native(UInt16.self, at: body + 6) == destinationPort.bigEndian,
                Self.canonical(replyFamily, message[(body + 8)..<(body + 24)]) == Self.canonical(family, source[...]),
                Self.canonical(replyFamily, message[(body + 24)..<(body + 40)])
                    == Self.canonical(family, destination[...])
            else { return nil }
            let uid = message.native(UInt32.self, at: body + 64)
            let inode = message.native(UInt32.self, at: body + 68)
            return inode == 0 ? nil : Socket(uid: uid, inode: inode)
        }
    }
}

extension [UInt8] {
    fileprivate mutating func append<T: FixedWidthInteger>(native value: T) {
        Swift.withUnsafeBytes(of: value) { append(contentsOf: $0) }
    }

    fileprivate func native<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        self[offset..<(offset + MemoryLayout<T>.size)].withUnsafeBytes { $0.loadUnaligned(as: T.self) }
    }
}
