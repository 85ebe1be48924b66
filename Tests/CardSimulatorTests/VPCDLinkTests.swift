import Foundation
import Testing

@testable import CardSimulator

#if canImport(Glibc)
    import Glibc
#endif

/// A minimal stand-in for pcscd's vpcd side: listens on loopback, speaks the framing.
final class FakeVPCD: @unchecked Sendable {
    let listener: Int32
    let port: UInt16
    var connection: Int32 = -1

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        listen(fd, 1)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = UInt16(bigEndian: address.sin_port)
    }

    func accept() {
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        connection = Glibc.accept(listener, nil, nil)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    func exchange(_ payload: [UInt8]) -> [UInt8]? {
        let frame = [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] + payload
        guard Glibc.send(connection, frame, frame.count, Int32(MSG_NOSIGNAL)) == frame.count else { return nil }
        guard let header = read(2) else { return nil }
        return read(Int(header[0]) << 8 | Int(header[1]))
    }

    func send(_ payload: [UInt8]) {
        let frame = [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] + payload
        _ = Glibc.send(connection, frame, frame.count, Int32(MSG_NOSIGNAL))
    }

    func read(_ count: Int) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: count)
        var have = 0
        while have < count {
            let n = buffer.withUnsafeMutableBytes { recv(connection, $0.baseAddress! + have, count - have, 0) }
            guard n > 0 else { return nil }
            have += n
        }
        return buffer
    }

    deinit {
        close(connection)
        close(listener)
    }
}

@Suite("vpcd link")
struct VPCDLinkTests {
    @Test func speaksTheFramingAndDropsTheLinkOnRemoval() throws {
        let vpcd = try FakeVPCD()
        let card = try SimulatedCard(image: defaultImage)
        let link = VPCDLink(card: card, host: "127.0.0.1", port: vpcd.port, reinsertAfter: nil)
        let thread = Thread { link.run() }
        thread.start()
        defer { link.stop() }
        vpcd.accept()
        #expect(vpcd.connection >= 0)
        vpcd.send([0x01])  // power on: no reply
        #expect(vpcd.exchange([0x04]) == card.atr)
        #expect(vpcd.exchange(hex(selectJPKI)) == [0x90, 0x00])
        #expect(vpcd.exchange(hex("00 20 00 98")) == [0x63, 0xC3])
        card.faults.removeAfterAPDUs = 2
        // The third APDU of this insertion finds the card pulled: the link closes.
        #expect(vpcd.exchange(hex("00 20 00 98")) == nil)
        #expect(card.isRemoved)
    }

    @Test func parsesAddresses() throws {
        #expect(try VPCDLink.parseAddress("127.0.0.1:35963") == ("127.0.0.1", 35963))
        #expect(try VPCDLink.parseAddress("localhost:1") == ("localhost", 1))
        for bad in ["127.0.0.1", ":35963", "host:0", "host:99999", "host:x"] {
            #expect(throws: SimulatorError.self) { try VPCDLink.parseAddress(bad) }
        }
    }
}
