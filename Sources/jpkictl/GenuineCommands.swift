import ArgumentParser
import FoundationEssentials
import JPKIAPI
import JPKIStaff

/// `jpkictl check-card`: the counter's IC-chip check (reference 13).
struct CheckCardCommand: ParsableCommand {
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
        let d = Diagnosis(language: .fromEnvironment())
        var request: CardFaceCheckRequest
        if pin == "a" {
            request = CardFaceCheckRequest(pinA: try readPIN(prompt: "\(d.pinName("card-face-a")) (\(target.label)): "))
        } else {
            let parts = try CodeBPrompt.read(d, target.label)
            request = CardFaceCheckRequest(
                birthDate: parts.birthDate, expiryYear: parts.expiryYear, securityCode: parts.securityCode)
        }
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

/// `jpkictl age-check`: is the card's holder at least N years old (reference 13)?
struct AgeCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "age-check",
        abstract: "Is the card's holder at least N years old? The card's signed birth date, proven by its chip.",
        discussion: """
            Asks for the birth date the customer states (YYYY-MM-DD, without echo; jpkid writes the \
            Japanese era digits the card's birth-date key takes). A wrong date costs a try of that \
            key. Answers only whether the holder is at least --minimum-age on --date (default: \
            today in Japan), with the IC-chip verdict; the birth date only with --show-birth-date. \
            Exit 0: genuine and old enough; 10: genuine and younger; 9: the chip check did not \
            end in genuine (no answer about the age).
            """)
    @OptionGroup var options: CommonOptions
    @Option(name: .customLong("minimum-age"), help: "The age to check, e.g. 20.")
    var minimumAge: Int
    @Option(help: "The day to count on (YYYY-MM-DD); default today in Japan.")
    var date: String?
    @Flag(name: .customLong("show-birth-date"), help: "Also print the card's signed birth date.")
    var showBirthDate = false
    @Flag(name: .customLong("confirm-final-attempt"), help: "Go on even when one try is left.")
    var confirmFinalAttempt = false

    func validate() throws {
        guard (1...150).contains(minimumAge) else { throw ValidationError("--minimum-age must be 1 to 150") }
    }

    func run() throws {
        let target = try options.pinTarget()
        let ja = Language.fromEnvironment() == .japanese
        let birth = try readPIN(
            prompt: ja
                ? "生年月日（西暦 YYYY-MM-DD）(\(target.label)): "
                : "birth date (YYYY-MM-DD, Western calendar) (\(target.label)): ")
        let request = AgeCheckRequest(
            birthDate: birth, minimumAge: minimumAge, date: date, returnBirthDate: showBirthDate ? true : nil,
            cardId: target.cardId, confirmFinalAttempt: confirmFinalAttempt ? true : nil)
        let data = try options.call("POST", "\(target.path)/age-check", body: request)
        let answer = try options.decode(AgeCheckResponse.self, data)
        if options.json {
            StandardStream.standardOutput.write(data)
        } else {
            print("verdict:    \(answer.verdict)")
            if let reason = answer.reason { print("reason:     \(reason)") }
            for step in answer.steps { print("  \(step.step): \(step.result) - \(step.detail)") }
            switch answer.atLeastMinimumAge {
            case true?: print("at least \(answer.minimumAge) on \(answer.date): yes")
            case false?: print("at least \(answer.minimumAge) on \(answer.date): no")
            case nil: print("at least \(answer.minimumAge) on \(answer.date): not answered (the chip check failed)")
            }
            if let birth = answer.birthDate { print("birth date: \(birth)") }
            print(ja ? answer.nextSteps.ja : answer.nextSteps.en)
        }
        switch answer.atLeastMinimumAge {
        case true?: return
        case false?: throw ExitCode(Exit.attentionNeeded.rawValue)
        case nil: throw ExitCode(Exit.notVerified.rawValue)
        }
    }
}
