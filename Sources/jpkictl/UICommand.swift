import ArgumentParser
import FoundationEssentials
import JPKIStaff

#if canImport(Glibc)
    import Glibc
#endif

/// `jpkictl ui`: the page for counter staff, served on 127.0.0.1 to this user only.
struct UI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The page for counter staff: serve it on 127.0.0.1 to this user and open it.",
        discussion: """
            API calls from the page go to jpkid over its Unix socket as this user, so jpkid's \
            group checks decide what the page may do. Only this user's processes (under sudo: \
            the invoking user's) and root may connect; others are closed at once and logged. \
            A browser gets a session from a one-time launcher file (mode 0600, in \
            $XDG_RUNTIME_DIR or /tmp/jpkictl-ui-UID) that --open opens; no secret is ever in a \
            URL or a command line. Run 'jpkictl ui --open' again for a new session on the \
            running server. The log names method, path and status only: never a query, a body \
            or a PIN. Ctrl-C stops it.
            """)

    @Option(help: "jpkid's socket (default $JPKID_SOCKET or /run/jpkid/jpkid.sock).")
    var socket: String?

    @Option(help: "The TCP port on 127.0.0.1 (default: a free one).")
    var port: Int = 0

    @Flag(help: "Open the page in the browser (xdg-open on a one-time launcher file).")
    var open = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port takes 0 to 65535") }
    }

    func run() async throws {
        let user = StaffUIUser.current()
        let launcher: StaffUILauncher
        do {
            launcher = try StaffUILauncher(user: user)
        } catch {
            printError("\(error)")
            throw Exit.failure.code
        }
        // A server already running for this user: a new session on it.
        if let file = launcher.askRunningServer() {
            print("The staff page is already running; a new session:")
            offer(file, user: user)
            return
        }
        let path = socket ?? ProcessInfo.processInfo.environment["JPKID_SOCKET"] ?? "/run/jpkid/jpkid.sock"
        let server: StaffUIServer
        let file: String
        do {
            server = try StaffUIServer(port: port, jpkidSocket: path, user: user, launcher: launcher) { line in
                StandardStream.standardError.write(Data("jpkictl ui: \(line)\n".utf8))
            }
            file = try server.newLaunch()
        } catch {
            printError("\(error)")
            throw Exit.failure.code
        }
        print("The staff page runs at \(server.url) for uid \(user.uid) (and root).")
        offer(file, user: user)
        // Serves until Ctrl-C; the server's connections and relays run on their own threads and tasks.
        while true { try await Task.sleep(for: .seconds(3600)) }
    }

    /// Opens the launcher file (`--open`) or tells the staff to; it works once, for 60 s.
    func offer(_ file: String, user: StaffUIUser) {
        if open {
            print("Opening it in the browser (run 'jpkictl ui --open' again for a new session).")
            fflush(nil)
            if let failure = Self.spawn(Self.opener(file, user: user)) {
                printError("cannot run xdg-open: \(failure)")
            }
        } else {
            print("Open this file in the browser within 60 s (once), or run 'jpkictl ui --open':\n    file://\(file)")
        }
        fflush(nil)
    }

    /// `xdg-open FILE`, as the browser's user when sudo made this process root.
    static func opener(_ file: String, user: StaffUIUser) -> [String] {
        guard geteuid() == 0, user.uid != 0 else { return ["/usr/bin/env", "xdg-open", file] }
        return [
            "/usr/bin/setpriv", "--reuid=\(user.uid)", "--regid=\(user.gid)", "--init-groups", "/usr/bin/env",
            "xdg-open", file,
        ]
    }
}

extension UI {
    /// Starts a program without waiting for it; the error text when it could not start.
    static func spawn(_ arguments: [String]) -> String? {
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid = pid_t()
        let status = posix_spawn(&pid, argv[0]!, nil, nil, &argv, environ)
        return status == 0 ? nil : String(cString: strerror(status))
    }
}
