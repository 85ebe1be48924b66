import ArgumentParser
import FoundationEssentials
import JPKIAPI
import JPKIStaff

/// `jpkictl age-check`: is the card's holder at least N years old?
struct AgeCheckCommand: AsyncParsableCommand {
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
    @Option(help: "The age to check, e.g. 20.")
    var minimumAge: Int
    @Option(help: "The day to count on (YYYY-MM-DD); default today in Japan.")
    var date: String?
    @Flag(help: "Also print the card's signed birth date.")
    var showBirthDate = false
    @OptionGroup var finalAttempt: FinalAttemptOption

    func validate() throws {
        guard (1...150).contains(minimumAge) else { throw ValidationError("--minimum-age must be 1 to 150") }
    }

    func run() async throws {
        let target = try await options.pinTarget()
        let ja = Language.fromEnvironment() == .japanese
        let birth = try readPIN(
            prompt: ja
                ? "生年月日（西暦 YYYY-MM-DD）(\(target.label)): "
                : "birth date (YYYY-MM-DD, Western calendar) (\(target.label)): ")
        let request = AgeCheckRequest(
            birthDate: birth, minimumAge: minimumAge, date: date, returnBirthDate: showBirthDate ? true : nil,
            cardId: target.cardId, confirmFinalAttempt: finalAttempt.value)
        let data = try await options.call("POST", "\(target.path)/age-check", body: request)
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
        case false?: throw Exit.attentionNeeded.code
        case nil: throw Exit.notVerified.code
        }
    }
}
