import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// systemd's notification protocol: one datagram to `$NOTIFY_SOCKET` (a leading `@` is the
/// abstract namespace). Silent when not run by systemd.
public struct SDNotify: Sendable {
    public let socketPath: String?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        socketPath = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The watchdog interval systemd asked for, if any (`WATCHDOG_USEC`, for this process).
    public static func watchdogInterval(environment: [String: String] = ProcessInfo.processInfo.environment)
        -> Duration?
    {
        guard let usec = environment["WATCHDOG_USEC"].flatMap(UInt64.init), usec > 0 else { return nil }
        if let pid = environment["WATCHDOG_PID"].flatMap(Int32.init), pid != getpid() { return nil }
        return .microseconds(Int64(usec))
    }

    @discardableResult
    public func send(_ fields: [String]) -> Bool {
        guard let socketPath else { return false }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(socketPath.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        let message = Array(fields.joined(separator: "\n").utf8)
        let sent = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                sendto(fd, message, message.count, Int32(MSG_NOSIGNAL), pointer, length)
            }
        }
        return sent == message.count
    }

    public func ready(status: String) { send(["READY=1", "STATUS=\(status)"]) }
    public func status(_ text: String) { send(["STATUS=\(text)"]) }
    public func watchdog() { send(["WATCHDOG=1"]) }
    public func stopping() { send(["STOPPING=1", "STATUS=stopping"]) }
    public func reloading() { send(["RELOADING=1"]) }
}

/// Listening sockets passed by systemd (`LISTEN_FDS`, `LISTEN_PID`, `LISTEN_FDNAMES`).
public enum SocketActivation {
    /// The first inherited descriptor, preferring one named `name`; nil when not socket-activated.
    public static func listeningSocket(
        named name: String = "jpkid.socket", environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> Int32? {
        guard let count = environment["LISTEN_FDS"].flatMap(Int32.init), count > 0,
            environment["LISTEN_PID"].flatMap(Int32.init) == getpid()
        else { return nil }
        let names = environment["LISTEN_FDNAMES"]?.split(separator: ":", omittingEmptySubsequences: false) ?? []
        let index = names.firstIndex { $0 == name || $0 == "api" } ?? 0
        return 3 + Int32(min(index, Int(count) - 1))
    }
}
