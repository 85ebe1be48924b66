import ArgumentParser
import FoundationEssentials
import ISO7816
import JPKIAPI
import JPKIStaff

struct Authenticate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Kiosk login: sign a challenge with the auth key; jpkid checks the signature and the chain.",
        discussion: "Exit 0 when authenticated, 9 when not (the trust code says why).")
    @OptionGroup var options: CommonOptions
    @Option(help: "The challenge in hex (16 to 1024 bytes); default: 32 random bytes made by jpkid.")
    var challenge: String?
    @Option(help: "Write the raw signature here.")
    var signatureOutput: String?
    @Option(help: "Write the auth certificate (PEM) here.")
    var certificateOutput: String?
    @Option(help: "Write the raw challenge here.")
    var challengeOutput: String?
    @OptionGroup var finalAttempt: FinalAttemptOption

    func run() async throws {
        var request = AuthenticateRequest(pin: "")
        if let challenge {
            guard let bytes = [UInt8](hex: challenge) else { throw ValidationError("--challenge is not hex") }
            request.challenge = Data(bytes).base64EncodedString()
        }
        let target = try await options.pinTarget()
        request.cardId = target.cardId
        request.pin = try readPIN(
            prompt: "\(Diagnosis(language: .fromEnvironment()).pinName(.auth)) (\(target.label)): ")
        request.confirmFinalAttempt = finalAttempt.value
        let data = try await options.call("POST", "\(target.path)/authenticate", body: request)
        let response = try options.decode(AuthenticateResponse.self, data)
        if let certificateOutput {
            try Data(response.certificate.utf8).write(to: URL(fileURLWithPath: certificateOutput))
        }
        if let signatureOutput, let signature = response.signature.flatMap({ Data(base64Encoded: $0) }) {
            try signature.write(to: URL(fileURLWithPath: signatureOutput))
        }
        if let challengeOutput, let bytes = Data(base64Encoded: response.challenge) {
            try bytes.write(to: URL(fileURLWithPath: challengeOutput))
        }
        if options.json {
            StandardStream.standardOutput.writeJSON(data)
        } else {
            print("authenticated: \(response.authenticated ? "yes" : "no")")
            print("trust: \(response.trust) (revocation not checked)")
            print("subject: \(response.subject.terminalSafe)")
            print("serial: \(response.serialNumber)")
            print("expires: \(response.expiryDate) (Japan)")
        }
        if !response.authenticated { throw Exit.notVerified.code }
    }
}
