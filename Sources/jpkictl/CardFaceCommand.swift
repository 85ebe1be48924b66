import ArgumentParser
import FoundationEssentials
import JPKIAPI
import JPKIStaff

struct CardFaceCommand: AsyncParsableCommand {
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
    @Option(help: "Which card-face PIN to ask for: a (照合番号A) or b (照合番号B).")
    var pin = CardFaceKey.b
    @Option(help: "Write the face photo (image/jp2) to this file (mode 0600).")
    var photoOutput: String?
    @OptionGroup var finalAttempt: FinalAttemptOption

    func run() async throws {
        let target = try await options.pinTarget()
        let d = Diagnosis(language: .fromEnvironment())
        let confirm = finalAttempt.value
        let request: CardFaceRequest
        if pin == .a {
            let value = try readPIN(prompt: "\(d.pinName(.cardFacePINA)) (\(target.label)): ")
            request = CardFaceRequest(pinA: value, cardId: target.cardId, confirmFinalAttempt: confirm)
        } else {
            let parts = try CodeBPrompt.read(d, target.label)
            request = CardFaceRequest(
                birthDate: parts.birthDate, expiryYear: parts.expiryYear, securityCode: parts.securityCode,
                cardId: target.cardId, confirmFinalAttempt: confirm)
        }
        let data = try await options.call("POST", "\(target.path)/card-face", body: request)
        if options.json, photoOutput == nil { return StandardStream.standardOutput.writeJSON(data) }
        let face = try options.decode(CardFaceResponse.self, data)
        if let photoOutput {
            guard let photo = face.photo.flatMap({ Data(base64Encoded: $0) }) else {
                printError("unexpected answer from jpkid")
                throw Exit.failure.code
            }
            try PrivateFile.write(photo, to: photoOutput)
            print("photo: \(photo.count) bytes written to \(photoOutput)")
        }
        if options.json { return StandardStream.standardOutput.writeJSON(data) }
        print("birth date: \(face.birthDate)")
        print("sex:        \(face.sex.name) (\(face.sex.code))")
        if let expiry = face.expiry { print("expiry:     \(expiry)") }
    }
}
