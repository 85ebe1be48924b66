import ArgumentParser
import FoundationEssentials
import JPKIAPI
import JPKIStaff

/// `jpkictl check-card`: the counter's IC-chip check (issue 21).
struct CheckCardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-card",
        abstract: "Is the card genuine? Check the card-face AP's signed data and challenge the chip.",
        discussion: """
            Asks for 照合番号B (birth date YYMMDD in the Japanese era, the card's expiry year and the \
            4-digit security code) or, with --pin a, PIN A (the 12-digit my number), without echo. \
            Prints the verdict (genuine, forged, key_mismatch, unknown_issuer, not_checked), each \
            step and what to do next. Exit 0 only for genuine; 9 for any other verdict.
            """)
    @OptionGroup var options: CommonOptions
    @Option(help: "Which card-face PIN to ask for: a or b.")
    var pin = "b"
    @Flag(name: .customLong("rendered-my-number"), help: "Also check the rendered my number (needs --pin a).")
    var renderedMyNumber = false
    @Option(name: .customLong("photo-output"), help: "Write the face photo (image/jp2) to this file (mode 0600).")
    var photoOutput: String?
    @Flag(name: .customLong("confirm-final-attempt"), help: "Go on even when one try is left.")
    var confirmFinalAttempt = false

    func validate() throws {
        guard pin == "a" || pin == "b" else { throw ValidationError("--pin must be a or b") }
        if renderedMyNumber, pin != "a" { throw ValidationError("--rendered-my-number needs --pin a") }
    }

    func run() throws {
        let target = try options.pinTarget()
        let value = try readPIN(
            prompt: "\(Diagnosis(language: .fromEnvironment()).pinName("card-face-\(pin)")) (\(target.label)): ")
        var request =
            pin == "a" ? CardFaceCheckRequest(pinA: value) : CardFaceCheckRequest(pinB: value)
        request.cardId = target.cardId
        request.confirmFinalAttempt = confirmFinalAttempt ? true : nil
        request.photo = photoOutput != nil ? true : nil
        request.renderedMyNumber = renderedMyNumber ? true : nil
        let data = try options.call("POST", "\(target.path)/card-face/check", body: request)
        let check = try options.decode(CardFaceCheckResponse.self, data)
        if let photoOutput, let photo = check.face?.photo.flatMap({ Data(base64Encoded: $0) }) {
            guard
                FileManager.default.createFile(
                    atPath: photoOutput, contents: photo, attributes: [.posixPermissions: 0o600])
            else {
                printError("cannot write \(photoOutput)")
                throw ExitCode(Exit.failure.rawValue)
            }
        }
        if options.json {
            StandardStream.standardOutput.write(data)
        } else {
            let japanese = Language.fromEnvironment() == .japanese
            print("verdict:    \(check.verdict)")
            if let reason = check.reason { print("reason:     \(reason)") }
            if let issuer = check.issuer { print("issuer key: \(issuer)") }
            for step in check.steps { print("  \(step.step): \(step.result) - \(step.detail)") }
            if let face = check.face {
                print("birth date: \(face.birthDate)")
                print("sex:        \(face.sex.name) (\(face.sex.code))")
                if let expiry = face.expiry { print("expiry:     \(expiry)") }
            }
            print(japanese ? check.nextSteps.ja : check.nextSteps.en)
        }
        if check.verdict != "genuine" { throw ExitCode(Exit.notVerified.rawValue) }
    }
}
