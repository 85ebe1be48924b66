import ArgumentParser
import FoundationEssentials
import JPKIStaff

#if canImport(Glibc)
    import Glibc
#endif

/// `jpkictl ui`: the page for counter staff, served on 127.0.0.1 with a random token in its URL.
struct UI: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The page for counter staff: serve it on 127.0.0.1 and print its URL (with a random token).",
        discussion: """
            API calls from the page go to jpkid over its Unix socket as this user, so jpkid's \
            group checks decide what the page may do. Requests without the token, or whose Host \
            is not 127.0.0.1:PORT or localhost:PORT, get 403. The log names method, path and \
            status only: never a query, a body or a PIN. Ctrl-C stops it.
            """)

    @Option(help: "jpkid's socket (default $JPKID_SOCKET or /run/jpkid/jpkid.sock).")
    var socket: String?

    @Option(help: "The TCP port on 127.0.0.1 (default: a free one).")
    var port: Int = 0

    @Flag(help: "Open the page with xdg-open.")
    var open = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port takes 0 to 65535") }
    }

    func run() throws {
        let path = socket ?? ProcessInfo.processInfo.environment["JPKID_SOCKET"] ?? "/run/jpkid/jpkid.sock"
        let server: StaffUIServer
        do {
            server = try StaffUIServer(port: port, jpkidSocket: path) { line in
                StandardStream.standardError.write(Data("jpkictl ui: \(line)\n".utf8))
            }
        } catch {
            printError("\(error)")
            throw ExitCode(Exit.failure.rawValue)
        }
        print("The staff page (give this URL to no one else):\n    \(server.url)")
        fflush(nil)
        if open {
            if let failure = Self.spawn(["/usr/bin/env", "xdg-open", server.url]) {
                printError("cannot run xdg-open: \(failure)")
            }
        }
        while true { pause() }
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
