import ArgumentParser
import Dispatch
import Foundation
import ISO7816
import JPKIAPI
import JPKIClient
import MyNumberCard
import Synchronization

extension Status {
    /// Prints a certificate's trust problem under its line; true when the card needs attention.
    static func printTrust(_ certificate: CertificateView) -> Bool {
        guard let problem = Diagnosis(language: .fromEnvironment()).trustProblem(certificate.trust) else {
            return false
        }
        print("    ** \(problem) (\(certificate.trust ?? "")) **")
        return true
    }

    /// Says once per card that trust was not checked (no anchors configured): not an error.
    static func printTrustNotChecked(_ card: CardView) {
        if card.certificates.values.contains(where: { $0.trust == "not_checked" }) {
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
            prompt: "\(Diagnosis(language: .fromEnvironment()).pinName("auth")) (\(target.label)): ")
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
            FileHandle.standardOutput.write(data)
        } else {
            print("authenticated: \(response.authenticated ? "yes" : "no")")
            print("trust: \(response.trust) (revocation not checked)")
            print("subject: \(response.subject)")
            print("serial: \(response.serialNumber)")
            print("expires: \(response.expiryDate) (Japan)")
        }
        if !response.authenticated { throw ExitCode(Exit.notVerified.rawValue) }
    }
}

struct VerifySignature: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Offline, no card: check a card's signature over a file and its certificate's chain.",
        discussion: """
            The signature is RSA PKCS#1 v1.5 over the file's digest. The chain is checked against the \
            PEM files in --trust-anchors (the card's CA certificates given with --ca only help build it). \
            Exit 0 when the signature verifies and the certificate is trusted (or no anchors exist: \
            trust not checked), 9 otherwise.
            """)
    @Option(help: "The raw signature file.")
    var signature: String
    @Option(help: "The signed file.")
    var input: String
    @Option(help: "The signer's certificate (PEM or DER).")
    var certificate: String
    @Option(name: .customLong("digest-algorithm"), help: "sha1, sha256, sha384, sha512.")
    var digestAlgorithm = "sha256"
    @Option(name: .customLong("trust-anchors"), help: "Directory of PEM CA certificates.")
    var trustAnchors = "/etc/jpkid/trust-anchors"
    @Option(help: "A CA certificate (PEM) that may serve as an intermediate. Repeatable.")
    var ca: [String] = []
    @Option(help: "The certificate's use: auth or sign.")
    var key = "auth"

    func run() throws {
        guard let algorithm = DigestAlgorithm(rawValue: digestAlgorithm) else {
            throw ValidationError("--digest-algorithm must be sha1, sha256, sha384 or sha512")
        }
        guard let usage: CertificateUsage = ["auth": .authentication, "sign": .signature][key] else {
            throw ValidationError("--key must be auth or sign")
        }
        let signatureBytes = try Self.read(signature)
        let data = try Self.read(input)
        let der = try Self.certificateDER(try Self.read(certificate), name: certificate)
        let anchors: TrustAnchors
        do {
            anchors = try TrustAnchors.load(directory: trustAnchors)
        } catch {
            throw ValidationError(error.description)
        }
        var intermediates: [[UInt8]] = []
        for path in ca {
            intermediates.append(try Self.certificateDER(try Self.read(path), name: path))
        }
        let valid = SignatureCheck.isValid(
            Array(signatureBytes), for: DigestInfo(algorithm: algorithm, hashing: data), certificate: der)
        let validator = ChainValidator(anchors: anchors)
        let captured = intermediates
        let trust = Self.blocking { await validator.evaluate(der, usage: usage, intermediates: captured) }
        print("signature: \(valid ? "valid" : "INVALID")")
        print("trust: \(trust.rawValue) (revocation not checked)")
        if trust == .notChecked { print(Diagnosis(language: .fromEnvironment()).trustNotChecked) }
        if !valid || ![.trusted, .notChecked].contains(trust) { throw ExitCode(Exit.notVerified.rawValue) }
    }

    static func read(_ path: String) throws -> Data {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read \(path)")
        }
        guard data.count <= 16 << 20 else { throw ValidationError("\(path) is larger than 16 MiB") }
        return data
    }

    /// DER from a PEM or DER certificate file.
    static func certificateDER(_ data: Data, name: String) throws -> [UInt8] {
        let text = String(decoding: data, as: UTF8.self)
        if text.contains("-----BEGIN CERTIFICATE-----") {
            do {
                return try TrustAnchors.derCertificates(pem: text, name: name)[0]
            } catch {
                throw ValidationError(error.description)
            }
        }
        return Array(data)
    }

    /// Runs async work from this synchronous command.
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
        let result = Mutex<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            let value = await body()
            result.withLock { $0 = value }
            done.signal()
        }
        done.wait()
        return result.withLock { $0! }
    }
}
