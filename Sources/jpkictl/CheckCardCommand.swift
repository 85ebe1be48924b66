import ArgumentParser
import FoundationEssentials
import JPKIAPI
import JPKIStaff

/// `jpkictl check-card`: the counter's IC-chip check.
struct CheckCardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-card",
        abstract: "Is the card genuine? Check the card-face AP's signed data and challenge the chip.",
        discussion: """
            Asks for 照合番号B's three printed parts (the birth date as a date: jpkid writes its \
            Japanese era year; the card's expiry year; the security code, without echo) or, with \
            --pin a, PIN A (the 12-digit my number, without echo). Each part is checked first, so a \
            slip costs no try. \
            Prints the verdict (genuine, forged, key_mismatch, unknown_issuer, not_checked), each \
            step and what to do next. Exit 0 only for genuine; 9 for any other verdict.
            """)
    @OptionGroup var options: CommonOptions
    @Option(help: "Which card-face PIN to ask for: a (照合番号A) or b (照合番号B).")
    var pin = CardFaceKey.b
    @Flag(help: "Also check the rendered my number (needs --pin a).")
    var renderedMyNumber = false
    @Option(help: "Write the face photo (image/jp2) to this file (mode 0600).")
    var photoOutput: String?
    @OptionGroup var finalAttempt: FinalAttemptOption

    func validate() throws {
        if renderedMyNumber, pin != .a { throw ValidationError("--rendered-my-number needs --pin a") }
    }

    func run() async throws {
        let target = try await options.pinTarget()
        let d = Diagnosis(language: .fromEnvironment())
        var request: CardFaceCheckRequest
        if pin == .a {
            request = CardFaceCheckRequest(pinA: try readPIN(prompt: "\(d.pinName(.cardFacePINA)) (\(target.label)): "))
        } else {
            let parts = try CodeBPrompt.read(d, target.label)
            request = CardFaceCheckRequest(
                birthDate: parts.birthDate, expiryYear: parts.expiryYear, securityCode: parts.securityCode)
        }
        request.cardId = target.cardId
        request.confirmFinalAttempt = finalAttempt.value
        request.photo = photoOutput != nil ? true : nil
        request.renderedMyNumber = renderedMyNumber ? true : nil
        let data = try await options.call("POST", "\(target.path)/card-face/check", body: request)
        let check = try options.decode(CardFaceCheckResponse.self, data)
        if let photoOutput, let photo = check.face?.photo.flatMap({ Data(base64Encoded: $0) }) {
            try PrivateFile.write(photo, to: photoOutput)
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
        if check.verdict != "genuine" { throw Exit.notVerified.code }
    }
}
