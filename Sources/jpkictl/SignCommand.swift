import ArgumentParser
import FoundationEssentials
import ISO7816
import JPKIAPI
import JPKIStaff

struct Sign: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sign a file (hashed here) or a digest with the card's auth or sign key.")
    @OptionGroup var options: CommonOptions
    @Option(help: "The card's key to sign with.")
    var key = SigningKey.auth
    @Option(help: "The digest algorithm (of --digest, or to hash --input with).")
    var digestAlgorithm = DigestAlgorithm.sha256
    @Option(help: "File to sign.")
    var input: String?
    @Option(help: "A digest already computed, in hex.")
    var digest: String?
    @Option(help: "Write the raw signature here (default: base64 to stdout).")
    var output: String?
    @Option(help: "Write the signer's certificate (PEM) here.")
    var certificateOutput: String?
    @OptionGroup var finalAttempt: FinalAttemptOption

    func validate() throws {
        guard (input == nil) != (digest == nil) else {
            throw ValidationError("give exactly one of --input and --digest")
        }
    }

    func run() async throws {
        var request = SignRequest(key: key.rawValue, pin: "", digestAlgorithm: digestAlgorithm.rawValue)
        if let input {
            guard let data = FileManager.default.contents(atPath: input) else {
                throw ValidationError("cannot read \(input)")
            }
            request.data = data.base64EncodedString()
        } else if let digest {
            guard let bytes = [UInt8](hex: digest) else { throw ValidationError("--digest is not hex") }
            request.digest = Data(bytes).base64EncodedString()
        }
        let target = try await options.pinTarget()
        request.cardId = target.cardId
        request.pin = try readPIN(
            prompt:
                "\(Diagnosis(language: .fromEnvironment()).pinName(.init(rawValue: key.rawValue))) (\(target.label)): ")
        request.confirmFinalAttempt = finalAttempt.value
        let data = try await options.call("POST", "\(target.path)/sign", body: request)
        if options.json { return StandardStream.standardOutput.writeJSON(data) }
        let response = try options.decode(SignResponse.self, data)
        guard let signature = Data(base64Encoded: response.signature) else {
            printError("unexpected answer from jpkid: the signature is not base64")
            throw Exit.failure.code
        }
        if let certificateOutput {
            try Data(response.certificate.utf8).write(to: URL(fileURLWithPath: certificateOutput))
        }
        if let output {
            try signature.write(to: URL(fileURLWithPath: output))
        } else {
            print(response.signature)
        }
    }
}
