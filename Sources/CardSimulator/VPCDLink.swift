import Foundation
import ISO7816
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Connects a ``SimulatedCard`` to vsmartcard's vpcd reader driver inside pcscd, so the real
/// PC/SC stack sees the card in reader "Virtual PCD 00 00" (port 35963).
///
/// Frames are a 2-byte big-endian length and a payload, both ways. A 1-byte payload is a control
/// message (0 power off, 1 power on, 2 warm reset, 4 get ATR; see `SimulatedCard+Power.swift` for
/// what each does to the card's security state); anything else is a command APDU that
/// gets one framed response. A closed connection is a removed card; connecting again is a
/// re-inserted card. The link blocks its calling thread: run it on a thread of its own.
public final class VPCDLink: Sendable {
    public let card: SimulatedCard
    public let host: String
    public let port: UInt16
    /// How long the card stays out after a fault-injected removal; nil keeps it out for good.
    public let reinsertAfter: Duration?
    private let log: @Sendable (String) -> Void
    private let onAPDU: @Sendable (SimulatedCard.TraceEntry) -> Void
    private let onControl: @Sendable (UInt8) -> Void
    private let stopFlag = Atomic<Bool>(false)

    public init(
        card: SimulatedCard, host: String, port: UInt16, reinsertAfter: Duration? = .seconds(1),
        log: @escaping @Sendable (String) -> Void = { _ in },
        onAPDU: @escaping @Sendable (SimulatedCard.TraceEntry) -> Void = { _ in },
        onControl: @escaping @Sendable (UInt8) -> Void = { _ in }
    ) {
        self.onControl = onControl
        self.card = card
        self.host = host
        self.port = port
        self.reinsertAfter = reinsertAfter
        self.log = log
        self.onAPDU = onAPDU
    }

    /// Parses `HOST:PORT`.
    public static func parseAddress(_ text: String) throws(SimulatorError) -> (String, UInt16) {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]),
            port > 0, colon != text.startIndex
        else { throw .vpcd("'\(text)' is not HOST:PORT") }
        return (String(text[..<colon]), port)
    }

    /// Asks ``run()`` to return within about 200 ms.
    public func stop() { stopFlag.store(true, ordering: .relaxed) }

    private var stopped: Bool { stopFlag.load(ordering: .relaxed) }

    /// Connects, serves, and reconnects until ``stop()``. Blocks.
    public func run() {
        var announcedWaiting = false
        while !stopped {
            guard let fd = connectSocket() else {
                if !announcedWaiting {
                    log("waiting for vpcd at \(host):\(port) (is pcscd with vsmartcard-vpcd running?)")
                    announcedWaiting = true
                }
                sleep(for: .milliseconds(250))
                continue
            }
            announcedWaiting = false
            card.insert()
            log("card inserted (connected to vpcd at \(host):\(port))")
            let reason = serve(fd)
            close(fd)
            log("card removed (\(reason.rawValue))")
            if reason == .faultRemoval {
                guard let reinsertAfter else {
                    while !stopped { sleep(for: .milliseconds(200)) }
                    return
                }
                sleep(for: reinsertAfter)
            } else if !stopped {
                sleep(for: .milliseconds(250))
            }
        }
    }

    /// Why ``serve(_:)`` returned.
    public enum EndReason: String, Sendable {
        case peerClosed = "vpcd closed the connection"
        case faultRemoval = "removal injected by fault"
        case stopped = "simulator stopping"
        case protocolError = "protocol error"
    }

    /// Serves one connected vpcd socket, as ``run()`` does for each connection, until the peer
    /// closes it, the card is pulled or ``stop()`` is called. The caller inserts the card first
    /// and closes `fd`. Tests and the fuzzer drive the framing with it over a socketpair.
    public func serve(_ fd: Int32) -> EndReason {
        while true {
            switch readFrame(fd) {
            case .stopped: return .stopped
            case .closed: return .peerClosed
            case .frame(let payload):
                if payload.count == 1 {
                    if payload[0] != 4 { onControl(payload[0]) }
                    switch payload[0] {
                    case 0: card.powerDown()
                    case 1: card.powerUp()
                    case 2: card.warmReset()
                    case 4:
                        guard writeFrame(fd, card.atr) else { return .peerClosed }
                    default: break
                    }
                    continue
                }
                let delay = card.delay
                if delay > .zero { sleep(for: delay) }
                switch card.process(payload) {
                case .removed:
                    return .faultRemoval
                case .response(let response):
                    if let entry = card.trace.last { onAPDU(entry) }
                    guard writeFrame(fd, response) else { return .peerClosed }
                }
            }
        }
    }

    private enum ReadResult {
        case frame([UInt8])
        case closed
        case stopped
    }

    private func readFrame(_ fd: Int32) -> ReadResult {
        guard let header = readExactly(fd, 2) else { return stopped ? .stopped : .closed }
        let length = Int(header[0]) << 8 | Int(header[1])
        guard length > 0 else { return .frame([]) }
        guard let payload = readExactly(fd, length) else { return stopped ? .stopped : .closed }
        return .frame(payload)
    }

    /// Reads exactly `count` bytes, waking every 200 ms to honour ``stop()``.
    private func readExactly(_ fd: Int32, _ count: Int) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: count)
        var have = 0
        while have < count {
            if stopped { return nil }
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, 200)
            if ready == 0 { continue }
            if ready < 0 {
                if errno == EINTR { continue }
                return nil
            }
            let n = buffer.withUnsafeMutableBytes { raw in
                recv(fd, raw.baseAddress! + have, count - have, 0)
            }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return nil }
            have += n
            // vpcd writes a frame's length and payload separately; acknowledging at once keeps
            // Nagle on its side from holding the payload for our delayed ACK (~40 ms per APDU).
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_QUICKACK, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        return buffer
    }

    private func writeFrame(_ fd: Int32, _ payload: [UInt8]) -> Bool {
        let frame = [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] + payload
        var sent = 0
        while sent < frame.count {
            let n = frame.withUnsafeBytes { raw in
                send(fd, raw.baseAddress! + sent, frame.count - sent, Int32(MSG_NOSIGNAL))
            }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return false }
            sent += n
        }
        return true
    }

    private func connectSocket() -> Int32? {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let first = result else { return nil }
        defer { freeaddrinfo(first) }
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            if fd >= 0 {
                if connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 {
                    var one: Int32 = 1
                    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                    return fd
                }
                close(fd)
            }
            entry = info.pointee.ai_next
        }
        return nil
    }

    private func sleep(for duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var remaining = Double(seconds) + Double(attoseconds) / 1e18
        while remaining > 0, !stopped {
            let step = min(remaining, 0.1)
            usleep(UInt32(step * 1_000_000))
            remaining -= step
        }
    }
}
