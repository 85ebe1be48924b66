import ArgumentParser
import FoundationEssentials
import JPKIAPI
import JPKIStaff

struct Cert: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Certificates.", subcommands: [Export.self])

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export auth, auth-ca or sign-ca; sign needs the sign PIN.")
        @OptionGroup var options: CommonOptions
        @Argument(help: "The certificate.")
        var which: ExportedCertificate
        @Flag(help: "DER instead of PEM.")
        var der = false
        @Option(help: "Write here instead of stdout.")
        var output: String?

        func run() async throws {
            var bytes: Data
            switch which {
            case .auth, .authCA, .signCA:
                bytes = try await options.call(
                    "GET", "\(options.base)/certificates/\(which.rawValue)?format=\(der ? "der" : "pem")")
            case .sign:
                let target = try await options.pinTarget()
                let pin = try readPIN(
                    prompt: "\(Diagnosis(language: .fromEnvironment()).pinName(.sign)) (\(target.label)): ")
                let data = try await options.call(
                    "POST", "\(target.path)/certificates/sign", body: PINRequest(pin: pin, cardId: target.cardId))
                if options.json { return StandardStream.standardOutput.writeJSON(data) }
                let pem = try options.decode(SignCertificateResponse.self, data).certificate
                bytes = Data(pem.utf8)
                if der {
                    let body = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
                    guard let decoded = Data(base64Encoded: body) else {
                        printError("unexpected answer from jpkid: the certificate is not PEM")
                        throw Exit.failure.code
                    }
                    bytes = decoded
                }
            }
            if let output {
                try bytes.write(to: URL(fileURLWithPath: output))
            } else {
                StandardStream.standardOutput.write(bytes)
            }
        }
    }
}
