import ArgumentParser

struct PINCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pin", abstract: "PIN counters and verification.",
        subcommands: [PINStatusCommand.self, Verify.self, PINChange.self])
}
