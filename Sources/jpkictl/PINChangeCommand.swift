import ArgumentParser
import JPKIAPI
import JPKIStaff

struct PINChange: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "change",
        abstract: "Change a PIN (auth, sign, card-text): the current PIN once, the new PIN twice.",
        discussion: "A blocked PIN cannot be changed: it must be reset at the municipal office.")
    @OptionGroup var options: CommonOptions
    @Argument(help: "The PIN to change.")
    var kind: ChangeablePIN
    @OptionGroup var finalAttempt: FinalAttemptOption

    func run() async throws {
        let target = try await options.pinTarget()
        let name = Diagnosis(language: .fromEnvironment()).pinName(.init(rawValue: kind.rawValue))
        let current = try readPIN(prompt: "current \(name) (\(target.label)): ")
        let new = try readPIN(prompt: "new \(name): ")
        let again = try readPIN(prompt: "new \(name) again: ")
        guard new == again else {
            printError("the two new PINs differ; nothing was sent")
            throw Exit.badInput.code
        }
        let data = try await options.call(
            "POST", "\(target.path)/pins/\(kind.rawValue)/change",
            body: PINChangeRequest(
                pin: current, newPin: new, cardId: target.cardId, confirmFinalAttempt: finalAttempt.value))
        if options.json { return StandardStream.standardOutput.writeJSON(data) }
        let response = try options.decode(PINChangeResponse.self, data)
        print("\(kind.rawValue): \(response.result) (\(response.pin.triesText))")
    }
}
