import ArgumentParser

/// Figures for `scripts/benchmark.sh`: card reads, and HTTP load over a Unix socket. Asserts nothing.
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jpki-bench",
        abstract: "Measure card reads and HTTP over a Unix socket; prints figures, asserts nothing.",
        subcommands: [CardFigures.self, Load.self, Soak.self],
        defaultSubcommand: CardFigures.self)
}
