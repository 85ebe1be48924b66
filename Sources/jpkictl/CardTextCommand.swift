import ArgumentParser
import FoundationEssentials
import JPKIAPI
import JPKIStaff

struct CardTextCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "card-text",
        abstract: "Read the card-text AP (name, address, birth date, sex; the my number on request).",
        discussion: """
            Asks for the 4-digit card text PIN, or with --with a for 照合番号A (the 12-digit my \
            number, which opens only the my number), or with --with b for 照合番号B's parts (birth \
            date, the card's expiry year, the security code; it opens only name, address, birth \
            date and sex). The my number is read only when --fields names myNumber, and shown \
            masked (**** **** 1234) unless --show-my-number is given.
            """)
    @OptionGroup var options: CommonOptions
    @Option(help: "Comma-separated: myNumber, name, address, birthDate, sex (default: all but myNumber).")
    var fields: String?
    @Option(name: .customLong("with"), help: "The credential: pin (card text PIN), a (照合番号A) or b (照合番号B).")
    var credential = CardTextCredential.pin
    @Flag(help: "Show the whole my number instead of its last 4 digits.")
    var showMyNumber = false
    @OptionGroup var finalAttempt: FinalAttemptOption

    func run() async throws {
        let list = fields.map { $0.split(separator: ",").map { $0.trimmingSpaces } }
        let target = try await options.pinTarget()
        let d = Diagnosis(language: .fromEnvironment())
        let confirm = finalAttempt.value
        var request = CardTextRequest(cardId: target.cardId, confirmFinalAttempt: confirm, fields: list)
        switch credential {
        case .a: request.pinA = try readPIN(prompt: "\(d.pinName(.cardTextPINA)) (\(target.label)): ")
        case .b:
            let parts = try CodeBPrompt.read(d, target.label)
            (request.birthDate, request.expiryYear, request.securityCode) = (
                parts.birthDate, parts.expiryYear, parts.securityCode
            )
        case .pin: request.pin = try readPIN(prompt: "\(d.pinName(.cardText)) (\(target.label)): ")
        }
        let data = try await options.call("POST", "\(target.path)/card-text", body: request)
        var text = try options.decode(CardTextResponse.self, data)
        if !showMyNumber, let number = text.myNumber { text.myNumber = Self.mask(number) }
        if options.json { return StandardStream.standardOutput.writeJSON(try APIJSON.encoder().encode(text)) }
        if let value = text.myNumber { print("my number:  \(value)") }
        if let value = text.name { print("name:       \(value.terminalSafe)") }
        if let value = text.address { print("address:    \(value.terminalSafe)") }
        if let value = text.birthDate { print("birth date: \(value)") }
        if let value = text.sex { print("sex:        \(value.name) (\(value.code))") }
    }

    /// `**** **** 9018`.
    static func mask(_ number: String) -> String { "**** **** " + number.suffix(4) }
}
