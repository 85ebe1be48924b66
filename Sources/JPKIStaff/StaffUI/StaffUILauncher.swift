import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// The user whose browser the staff page serves: the one running `jpkictl ui`, or under sudo the
/// invoking user (`SUDO_UID`, `SUDO_GID`).
public struct StaffUIUser: Sendable, Equatable {
    public var uid: UInt32
    public var gid: UInt32

    public init(uid: UInt32, gid: UInt32) {
        self.uid = uid
        self.gid = gid
    }

    public static func current(environment: [String: String] = ProcessInfo.processInfo.environment) -> StaffUIUser {
        if geteuid() == 0, let uid = environment["SUDO_UID"].flatMap(UInt32.init),
            let gid = environment["SUDO_GID"].flatMap(UInt32.init)
        {
            return StaffUIUser(uid: uid, gid: gid)
        }
        return StaffUIUser(uid: getuid(), gid: getgid())
    }
}

/// Where the launcher files and the running server's control socket live: a directory only the
/// browser's user can enter (`$XDG_RUNTIME_DIR`, `/run/user/UID`, or `/tmp/jpkictl-ui-UID`, each
/// checked: a directory, not a link, owned by the user, mode 0700).
public struct StaffUILauncher: Sendable {
    public let directory: String
    public let user: StaffUIUser

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public init(user: StaffUIUser, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.user = user
        var candidates: [String] = []
        if user.uid == getuid(), let runtime = environment["XDG_RUNTIME_DIR"], runtime.hasPrefix("/") {
            candidates.append(runtime)
        }
        candidates.append("/run/user/\(user.uid)")
        for candidate in candidates where Self.isPrivate(candidate, owner: user.uid) {
            directory = candidate
            return
        }
        let fallback = "/tmp/jpkictl-ui-\(user.uid)"
        if mkdir(fallback, 0o700) == 0, geteuid() == 0 { chown(fallback, user.uid, user.gid) }
        guard Self.isPrivate(fallback, owner: user.uid) else {
            throw Failure(description: "\(fallback) is not a directory of uid \(user.uid) with mode 0700")
        }
        directory = fallback
    }

    /// A directory (not a link) owned by `owner` that no one else may enter.
    static func isPrivate(_ path: String, owner: UInt32) -> Bool {
        var info = stat()
        guard lstat(path, &info) == 0 else { return false }
        return (info.st_mode & S_IFMT) == S_IFDIR && info.st_uid == owner && info.st_mode & 0o077 == 0
    }

    /// The running server's control socket: connecting to it asks for a new session.
    public var controlSocket: String { "\(directory)/jpkictl-ui.sock" }

    /// Writes a launcher: a page that posts `ticket` to the server at `port` as soon as the
    /// browser opens it (mode 0600, the browser's user's); returns its path.
    func write(ticket: String, port: Int) throws -> String {
        let path = "\(directory)/jpkictl-ui-\(StaffUIAccess.randomToken().prefix(16)).html"
        let page = """
            <!DOCTYPE html>
            <html lang="ja"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
            <title>jpkid staff page</title></head>
            <body><form method="post" action="http://127.0.0.1:\(port)/session">
            <input type="hidden" name="ticket" value="\(ticket)">
            <noscript><button type="submit">Open the staff page / 窓口画面を開く</button></noscript></form>
            <script>document.forms[0].submit();</script></body></html>

            """
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure(description: "cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let bytes = Array(page.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress!, $0.count) }
        guard written == bytes.count else {
            unlink(path)
            throw Failure(description: "cannot write \(path)")
        }
        if geteuid() == 0, user.uid != 0 { fchown(fd, user.uid, user.gid) }
        return path
    }

    /// Asks a server already running for this user for a new session: the launcher's path, or
    /// nil when none answers (within 5 s).
    public func askRunningServer() -> String? {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array(controlSocket.utf8)
        guard path.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.enumerated() { raw[index] = byte }
        }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else { return nil }
        var answer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1024)
        while answer.count < 4096 {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            guard n > 0 else { break }
            answer += chunk.prefix(n)
        }
        let line = String(decoding: answer, as: UTF8.self).split(separator: "\n").first.map(String.init)
        return line.flatMap { $0.hasPrefix("/") ? $0 : nil }
    }
}
