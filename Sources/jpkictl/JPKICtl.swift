import ArgumentParser

@main
struct JPKICtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jpkictl",
        abstract: "Talk to jpkid: card status, PINs, signatures, certificates, events, diagnosis.",
        discussion: """
            PINs are read from the terminal without echo, or from standard input when it is not a \
            terminal; never from the command line.
            Exit codes: 0 ok, 1 error, 2 jpkid unreachable, 3 forbidden, 4 no card or unknown \
            reader, 5 wrong PIN, 6 PIN blocked, 7 final attempt not confirmed, 8 bad input, \
            9 (authenticate, verify) not authenticated or not verified, \
            10 (status, diagnose) something needs attention.
            """,
        subcommands: [
            Status.self, Health.self, PINCommand.self, Sign.self, Cert.self, Watch.self, Diagnose.self,
            Authenticate.self, CardTextCommand.self, CardFaceCommand.self, CheckCardCommand.self, AgeCheckCommand.self,
            UI.self,
        ])
}
