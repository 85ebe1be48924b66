import ArgumentParser
import FoundationEssentials
import JPKIAPI
import JPKIStaff

#if canImport(Glibc)
    import Glibc
#endif

struct CardTextCommand: ParsableCommand {
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
    var credential = "pin"
    @Flag(name: .customLong("show-my-number"), help: "Show the whole my number instead of its last 4 digits.")
    var showMyNumber = false
    @Flag(name: .customLong("confirm-final-attempt"), help: "Go on even when one try is left.")
    var confirmFinalAttempt = false

    func validate() throws {
        guard ["pin", "a", "b"].contains(credential) else { throw ValidationError("--with must be pin, a or b") }
    }

    func run() throws {
        let list = fields.map { $0.split(separator: ",").map { $0.trimmingSpaces } }
        let target = try options.pinTarget()
        let d = Diagnosis(language: .fromEnvironment())
        let confirm: Bool? = confirmFinalAttempt ? true : nil
        var request = CardTextRequest(cardId: target.cardId, confirmFinalAttempt: confirm, fields: list)
        switch credential {
        case "a": request.pinA = try readPIN(prompt: "\(d.pinName(.cardTextPINA)) (\(target.label)): ")
        case "b":
            let parts = try CodeBPrompt.read(d, target.label)
            (request.birthDate, request.expiryYear, request.securityCode) = (
                parts.birthDate, parts.expiryYear, parts.securityCode
            )
        default: request.pin = try readPIN(prompt: "\(d.pinName(.cardText)) (\(target.label)): ")
        }
        let data = try options.call("POST", "\(target.path)/card-text", body: request)
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

struct CardFaceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "card-face",
        abstract: "Read the card-face AP: the face photo (JPEG 2000) and the printed data.",
        discussion: """
            Asks for 照合番号B's three parts: the birth date as a date (YYYY-MM-DD; jpkid writes \
            its Japanese era year, as the card wants), the card's expiry year and the 4-digit \
            security code printed on the card (not echoed). With --pin a it asks for 照合番号A (the \
            12-digit my number) instead.
            """)
    @OptionGroup var options: CommonOptions
    @Option(help: "Which card-face PIN to ask for: a or b.")
    var pin = "b"
    @Option(name: .customLong("photo-output"), help: "Write the face photo (image/jp2) to this file (mode 0600).")
    var photoOutput: String?
    @Flag(name: .customLong("confirm-final-attempt"), help: "Go on even when one try is left.")
    var confirmFinalAttempt = false

    func validate() throws {
        guard pin == "a" || pin == "b" else { throw ValidationError("--pin must be a or b") }
    }

    func run() throws {
        let target = try options.pinTarget()
        let d = Diagnosis(language: .fromEnvironment())
        let confirm: Bool? = confirmFinalAttempt ? true : nil
        let request: CardFaceRequest
        if pin == "a" {
            let value = try readPIN(prompt: "\(d.pinName(.cardFacePINA)) (\(target.label)): ")
            request = CardFaceRequest(pinA: value, cardId: target.cardId, confirmFinalAttempt: confirm)
        } else {
            let parts = try CodeBPrompt.read(d, target.label)
            request = CardFaceRequest(
                birthDate: parts.birthDate, expiryYear: parts.expiryYear, securityCode: parts.securityCode,
                cardId: target.cardId, confirmFinalAttempt: confirm)
        }
        let data = try options.call("POST", "\(target.path)/card-face", body: request)
        if options.json, photoOutput == nil { return StandardStream.standardOutput.writeJSON(data) }
        let face = try options.decode(CardFaceResponse.self, data)
        if let photoOutput {
            guard let photo = face.photo.flatMap({ Data(base64Encoded: $0) }) else {
                printError("unexpected answer from jpkid")
                throw ExitCode(Exit.failure.rawValue)
            }
            guard
                FileManager.default.createFile(
                    atPath: photoOutput, contents: photo, attributes: [.posixPermissions: 0o600])
            else {
                printError("cannot write \(photoOutput)")
                throw ExitCode(Exit.failure.rawValue)
            }
            print("photo: \(photo.count) bytes written to \(photoOutput)")
        }
        if options.json { return StandardStream.standardOutput.writeJSON(data) }
        print("birth date: \(face.birthDate)")
        print("sex:        \(face.sex.name) (\(face.sex.code))")
        if let expiry = face.expiry { print("expiry:     \(expiry)") }
    }
}

struct PINChange: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "change",
        abstract: "Change a PIN (auth, sign, card-text): the current PIN once, the new PIN twice.",
        discussion: "A blocked PIN cannot be changed: it must be reset at the municipal office.")
    @OptionGroup var options: CommonOptions
    @Argument(help: "auth, sign or card-text.")
    var kind: String
    @Flag(name: .customLong("confirm-final-attempt"), help: "Go on even when the current PIN has one try left.")
    var confirmFinalAttempt = false

    func validate() throws {
        guard ["auth", "sign", "card-text"].contains(kind) else {
            throw ValidationError("PIN kind must be auth, sign or card-text")
        }
    }

    func run() throws {
        let target = try options.pinTarget()
        let name = Diagnosis(language: .fromEnvironment()).pinName(.init(rawValue: kind))
        let current = try readPIN(prompt: "current \(name) (\(target.label)): ")
        let new = try readPIN(prompt: "new \(name): ")
        let again = try readPIN(prompt: "new \(name) again: ")
        guard new == again else {
            printError("the two new PINs differ; nothing was sent")
            throw ExitCode(Exit.badInput.rawValue)
        }
        let data = try options.call(
            "POST", "\(target.path)/pins/\(kind)/change",
            body: PINChangeRequest(
                pin: current, newPin: new, cardId: target.cardId,
                confirmFinalAttempt: confirmFinalAttempt ? true : nil))
        if options.json { return StandardStream.standardOutput.writeJSON(data) }
        let response = try options.decode(PINChangeResponse.self, data)
        print("\(kind): \(response.result) (\(response.pin.triesText))")
    }
}
