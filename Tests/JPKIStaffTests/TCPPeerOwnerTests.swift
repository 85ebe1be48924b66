import Foundation
import NIOCore
import Testing

@testable import JPKIStaff

#if canImport(Glibc)
    import Glibc
#endif

/// The staff page's peer lookup against real loopback sockets: the exact connection, never a
/// socket that merely shares its ports, never a TIME_WAIT one.
@Suite("Staff page: whose connection")
struct TCPPeerOwnerTests {
    /// A TCP socket, optionally bound to `host`:`port` first; closed by `close()`.
    struct TCP {
        let fd: Int32

        init(bind host: String? = nil, port: Int = 0, v6: Bool = false) throws {
            fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            try #require(fd >= 0)
            if let host {
                let address = try SocketAddress(ipAddress: host, port: port)
                let bound = address.withSockAddr { Glibc.bind(fd, $0, socklen_t($1)) }
                try #require(bound == 0, "bind \(host):\(port): errno \(errno)")
            }
        }

        func listen() -> Self {
            _ = Glibc.listen(fd, 8)
            return self
        }

        func connect(_ host: String, _ port: Int) throws -> Self {
            let address = try SocketAddress(ipAddress: host, port: port)
            let connected = address.withSockAddr { Glibc.connect(fd, $0, socklen_t($1)) }
            try #require(connected == 0, "connect \(host):\(port): errno \(errno)")
            return self
        }

        func accept() throws -> TCP {
            let accepted = Glibc.accept(fd, nil, nil)
            try #require(accepted >= 0)
            return TCP(fd: accepted)
        }

        init(fd: Int32) { self.fd = fd }

        /// The bound port (IPv4 and IPv6 keep it at the same offset).
        var port: Int {
            var storage = sockaddr_in6()
            var length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            _ = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            return Int(UInt16(bigEndian: storage.sin6_port))
        }

        var inode: UInt32 {
            var info = stat()
            _ = fstat(fd, &info)
            return UInt32(truncatingIfNeeded: info.st_ino)
        }

        func close() { _ = Glibc.close(fd) }
    }

    func address(_ host: String, _ port: Int) throws -> SocketAddress { try SocketAddress(ipAddress: host, port: port) }

    @Test func theExactConnectionIsFoundNotOneThatSharesItsPorts() throws {
        let server = try TCP(bind: "127.0.0.1").listen()
        defer { server.close() }
        let serverPort = server.port
        // The attack: a socket on 127.0.0.2 with the same port as a real client's, to the same server.
        let attacker = try TCP(bind: "127.0.0.2").connect("127.0.0.1", serverPort)
        defer { attacker.close() }
        let shared = attacker.port
        let client = try TCP(bind: "127.0.0.1", port: shared).connect("127.0.0.1", serverPort)
        defer { client.close() }
        let accepted = [try server.accept(), try server.accept()]
        defer { accepted.forEach { $0.close() } }

        let local = try address("127.0.0.1", serverPort)
        let found = TCPPeerOwner.socket(peer: try address("127.0.0.1", shared), local: local)
        #expect(found == TCPPeerOwner.Socket(uid: getuid(), inode: client.inode))
        let foundAttacker = TCPPeerOwner.socket(peer: try address("127.0.0.2", shared), local: local)
        #expect(foundAttacker == TCPPeerOwner.Socket(uid: getuid(), inode: attacker.inode))
        #expect(TCPPeerOwner.uid(peer: try address("127.0.0.3", shared), local: local) == nil, "no such socket")
        #expect(
            TCPPeerOwner.uid(peer: try address("127.0.0.1", shared), local: try address("127.0.0.2", serverPort)) == nil
        )
        // An IPv4-mapped IPv6 form of the same connection finds the same socket.
        let mapped = TCPPeerOwner.socket(
            peer: try address("::ffff:127.0.0.1", shared), local: try address("::ffff:127.0.0.1", serverPort))
        #expect(mapped?.inode == client.inode)
    }

    @Test func aDualStackClientIsFoundByItsIPv4Connection() throws {
        let server = try TCP(bind: "127.0.0.1").listen()
        defer { server.close() }
        let client = try TCP(v6: true).connect("::ffff:127.0.0.1", server.port)
        defer { client.close() }
        let accepted = try server.accept()
        defer { accepted.close() }
        let found = TCPPeerOwner.socket(
            peer: try address("127.0.0.1", client.port), local: try address("127.0.0.1", server.port))
        #expect(found == TCPPeerOwner.Socket(uid: getuid(), inode: client.inode))
    }

    @Test func aTimeWaitSocketIsNeverTakenForALiveConnection() throws {
        let server = try TCP(bind: "127.0.0.1").listen()
        defer { server.close() }
        let serverPort = server.port
        // 127.0.0.2:P ↔ 127.0.0.2:S, closed by the client first: its end stays in TIME_WAIT (uid 0).
        let other = try TCP(bind: "127.0.0.2", port: serverPort).listen()
        defer { other.close() }
        let leaving = try TCP(bind: "127.0.0.2").connect("127.0.0.2", serverPort)
        let port = leaving.port
        let leavingPeer = try other.accept()
        leaving.close()
        leavingPeer.close()
        try #require(try Self.waitForTimeWait(port: port), "the closed socket reaches TIME_WAIT")
        #expect(
            TCPPeerOwner.socket(peer: try address("127.0.0.2", port), local: try address("127.0.0.2", serverPort))
                == nil)

        // A live connection 127.0.0.1:P → 127.0.0.1:S: its own socket, not the TIME_WAIT one.
        let client = try TCP(bind: "127.0.0.1", port: port).connect("127.0.0.1", serverPort)
        defer { client.close() }
        let accepted = try server.accept()
        defer { accepted.close() }
        let found = TCPPeerOwner.socket(
            peer: try address("127.0.0.1", port), local: try address("127.0.0.1", serverPort))
        #expect(found == TCPPeerOwner.Socket(uid: getuid(), inode: client.inode))
    }

    /// Whether /proc/net/tcp lists 127.0.0.2:`port` in TIME_WAIT (06) within 5 s.
    static func waitForTimeWait(port: Int) throws -> Bool {
        let local = String(format: "0200007F:%04X", port)
        for _ in 0..<100 {
            let table = (try? String(contentsOfFile: "/proc/net/tcp", encoding: .utf8)) ?? ""
            if table.split(separator: "\n").contains(where: { $0.contains(" \(local) ") && $0.contains(" 06 ") }) {
                return true
            }
            usleep(50_000)
        }
        return false
    }

    /// The answer's checks, on crafted bytes: one message, this tuple, ESTABLISHED, an inode.
    @Test func onlyOneEstablishedAnswerForThisTupleCounts() throws {
        let tuple = try #require(
            TCPPeerOwner.Tuple(peer: try address("127.0.0.1", 50000), local: try address("127.0.0.1", 8080)))
        func answer(state: UInt8 = 1, sourcePort: UInt16 = 50000, uid: UInt32 = 1000, inode: UInt32 = 77) -> [UInt8] {
            var body = [UInt8(AF_INET), state, 0, 0]
            body += withUnsafeBytes(of: sourcePort.bigEndian) { Array($0) }
            body += withUnsafeBytes(of: UInt16(8080).bigEndian) { Array($0) }
            body +=
                [127, 0, 0, 1] + [UInt8](repeating: 0, count: 12) + [127, 0, 0, 1] + [UInt8](repeating: 0, count: 12)
            body += [UInt8](repeating: 0, count: 24)  // interface, cookie, expires, queues
            body += withUnsafeBytes(of: uid) { Array($0) } + withUnsafeBytes(of: inode) { Array($0) }
            var message = withUnsafeBytes(of: UInt32(16 + body.count)) { Array($0) }
            message += withUnsafeBytes(of: UInt16(20)) { Array($0) } + [0, 0]
            message += withUnsafeBytes(of: UInt32(1)) { Array($0) } + [0, 0, 0, 0]
            return message + body
        }
        #expect(tuple.parse(answer()[...], sequence: 1) == TCPPeerOwner.Socket(uid: 1000, inode: 77))
        #expect(tuple.parse(answer(state: 6, uid: 0, inode: 0)[...], sequence: 1) == nil, "TIME_WAIT")
        #expect(tuple.parse(answer(state: 8)[...], sequence: 1) == nil, "CLOSE_WAIT")
        #expect(tuple.parse(answer(inode: 0)[...], sequence: 1) == nil, "no process holds it")
        #expect(tuple.parse(answer(sourcePort: 50001)[...], sequence: 1) == nil, "another socket")
        #expect(tuple.parse((answer() + answer())[...], sequence: 1) == nil, "two sockets")
        #expect(tuple.parse(answer()[...], sequence: 2) == nil, "another request's")
        #expect(tuple.parse(answer().prefix(60), sequence: 1) == nil, "cut short")
    }
}
