import ArgumentParser
import JPKIAPI

struct PINStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Every PIN's tries left (read without spending a try).")
    @OptionGroup var options: CommonOptions

    func run() async throws {
        let data = try await options.call("GET", options.base)
        let reader = try options.decode(ReaderView.self, data)
        if options.json {
            let pins = reader.card?.pins ?? [:]
            return StandardStream.standardOutput.writeJSON(try APIJSON.encoder().encode(pins))
        }
        guard let card = reader.card else {
            printError("no card in \(reader.id)")
            throw Exit.noCard.code
        }
        for kind in PINView.Kind.displayOrder {
            guard let pin = card.pins[kind] else { continue }
            let state = !pin.available ? "not set" : pin.blocked ? "BLOCKED" : pin.triesText
            print("\(kind.rawValue.padded(to: 11)) \(state)\(PINView.applicationNote(kind))")
        }
    }
}
