import ArgumentParser
import Foundation
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
                FileHandle.standardError.write(Data("jpkictl ui: \(line)\n".utf8))
            }
        } catch {
            printError("\(error)")
            throw ExitCode(Exit.failure.rawValue)
        }
        print("The staff page (give this URL to no one else):\n    \(server.url)")
        fflush(nil)
        if open {
            let opener = Process()
            opener.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            opener.arguments = ["xdg-open", server.url]
            do { try opener.run() } catch { printError("cannot run xdg-open: \(error)") }
        }
        while true { pause() }
    }
}
