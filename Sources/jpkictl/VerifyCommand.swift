import ArgumentParser
import JPKIAPI
import JPKIStaff

struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Verify a PIN (auth, sign, card-text, juki, juki-ap, card-face-birth-date). Spends a try only if the PIN is wrong.",
        discussion: """
            juki is the JUKI PIN as the common card application holds it, juki-ap the JUKI \
            application's own copy (two counters). card-face-birth-date asks for the birth date \
            (YYYY-MM-DD); jpkid writes its Japanese era year.
            """)
    @OptionGroup var options: CommonOptions
    @Argument(help: "The PIN to verify.")
    var kind: VerifiablePIN
    @OptionGroup var finalAttempt: FinalAttemptOption

    func run() async throws {
        let target = try await options.pinTarget()
        let d = Diagnosis(language: .fromEnvironment())
        let hint = kind == .cardFaceBirthDate ? " YYYY-MM-DD" : ""
        let pin = try readPIN(prompt: "\(d.pinName(.init(rawValue: kind.rawValue)))\(hint) (\(target.label)): ")
        let data = try await options.call(
            "POST", "\(target.path)/pins/\(kind.rawValue)/verify",
            body: PINRequest(pin: pin, confirmFinalAttempt: finalAttempt.value, cardId: target.cardId))
        if options.json { return StandardStream.standardOutput.writeJSON(data) }
        let response = try options.decode(VerifyResponse.self, data)
        print("\(kind.rawValue): \(response.result) (\(response.pin.triesText))")
    }
}
