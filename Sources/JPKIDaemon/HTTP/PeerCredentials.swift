import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// The peer of a Unix-socket connection, read once per connection: `SO_PEERCRED` (pid, uid,
/// primary gid) and `SO_PEERGROUPS` (the peer process's own supplementary groups).
public struct PeerCredentials: Sendable, Equatable {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32
    /// The peer's supplementary groups as the kernel knows them; nil when they could not be read
    /// (more than ``PeerGroups/capacity``): the access check then asks NSS.
    public var groups: [UInt32]?

    public init(pid: Int32, uid: UInt32, gid: UInt32, groups: [UInt32]? = nil) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
        self.groups = groups
    }

    /// Reads both socket options of `channel` (on its event loop, without blocking).
    static func read(from channel: any Channel) -> EventLoopFuture<PeerCredentials> {
        guard let provider = channel as? SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(ChannelError.operationUnsupported)
        }
        let credentials: EventLoopFuture<LinuxPeerCredentials> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
        return credentials.flatMap { credentials in
            let groups: EventLoopFuture<PeerGroups> = provider.unsafeGetSocketOption(
                level: SocketOptionLevel(SOL_SOCKET), name: PeerGroups.option)
            return groups.map { Optional($0.gids(primary: credentials.gid)) }
                .recover { _ in nil }
                .map { PeerCredentials(pid: credentials.pid, uid: credentials.uid, gid: credentials.gid, groups: $0) }
        }
    }
}

/// `struct ucred` of Linux (`<sys/socket.h>` with `_GNU_SOURCE`), which Swift's Glibc does not import.
struct LinuxPeerCredentials: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}

/// Room for `SO_PEERGROUPS`: an array of `gid_t`. The kernel fills what the peer has and
/// refuses (`ERANGE`) when it has more than fits.
struct PeerGroups: Sendable {
    /// `SO_PEERGROUPS` from `<asm-generic/socket.h>` (Linux 4.13+).
    static let option = SocketOptionName(59)
    static let capacity = 256
    var a = SIMD64<UInt32>(), b = SIMD64<UInt32>(), c = SIMD64<UInt32>(), d = SIMD64<UInt32>()

    /// The groups filled in. NIO zeroes the buffer and does not return the length, so an unused
    /// slot reads as gid 0: gid 0 counts only as the primary group.
    func gids(primary: UInt32) -> [UInt32] {
        var all: [UInt32] = []
        for vector in [a, b, c, d] {
            for i in vector.indices where vector[i] != 0 { all.append(vector[i]) }
        }
        return primary == 0 ? all + [0] : all
    }
}
