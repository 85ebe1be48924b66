import ArgumentParser
import FoundationEssentials
import ISO7816
import JPKIAPI
import JPKIStaff

extension Status {
    /// Prints a certificate's trust problem under its line; true when the card needs attention.
    static func printTrust(_ certificate: CertificateView) -> Bool {
        guard let problem = Diagnosis(language: .fromEnvironment()).trustProblem(certificate.trust) else {
            return false
        }
        print("    ** \(problem) (\(certificate.trust?.rawValue ?? "")) **")
        return true
    }

    /// Says once per card that trust was not checked (no anchors configured): not an error.
    static func printTrustNotChecked(_ card: CardView) {
        if card.certificates.values.contains(where: { $0.trust == .notChecked }) {
            print("  \(Diagnosis(language: .fromEnvironment()).trustNotChecked)")
        }
    }
}

struct Authenticate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Kiosk login: sign a challenge with the auth key; jpkid checks the signature and the chain.",
        discussion: "Exit 0 when authenticated, 9 when not (the trust code says why).")
    @OptionGroup var options: CommonOptions
    @Option(help: "The challenge in hex (16 to 1024 bytes); default: 32 random bytes made by jpkid.")
    var challenge: String?
    @Option(name: .customLong("signature-output"), help: "Write the raw signature here.")
    var signatureOutput: String?
    @Option(name: .customLong("certificate-output"), help: "Write the auth certificate (PEM) here.")
    var certificateOutput: String?
    @Option(name: .customLong("challenge-output"), help: "Write the raw challenge here.")
    var challengeOutput: String?
    @Flag(name: .customLong("confirm-final-attempt"), help: "Go on even when one try is left.")
    var confirmFinalAttempt = false

    func run() throws {
        var request = AuthenticateRequest(pin: "")
        if let challenge {
            guard let bytes = [UInt8](hex: challenge) else { throw ValidationError("--challenge is not hex") }
            request.challenge = Data(bytes).base64EncodedString()
        }
        let target = try options.pinTarget()
        request.cardId = target.cardId
        request.pin = try readPIN(
            prompt: "\(Diagnosis(language: .fromEnvironment()).pinName(.auth)) (\(target.label)): ")
        request.confirmFinalAttempt = confirmFinalAttempt ? true : nil
        let data = try options.call("POST", "\(target.path)/authenticate", body: request)
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
        if !response.authenticated { throw ExitCode(Exit.notVerified.rawValue) }
    }
}
