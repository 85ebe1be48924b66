import ArgumentParser
import ConsoleText
import Dispatch
import Foundation
import MyNumberCard
import Synchronization

// Offline signature and chain checks. A tool of its own, so that jpkictl links no X.509 or crypto
// code: jpkictl only talks to jpkid.

@main
struct VerifySignature: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jpki-verify",
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
    @Option(help: "The digest the signature is over.")
    var digestAlgorithm = DigestAlgorithm.sha256
    @Option(help: "Directory of PEM CA certificates.")
    var trustAnchors = "/etc/jpkid/trust-anchors"
    @Option(help: "A CA certificate (PEM) that may serve as an intermediate. Repeatable.")
    var ca: [String] = []
    @Option(help: "The certificate's use.")
    var key = CertificateKey.auth

    /// The card's two keys, each with its certificate's use.
    enum CertificateKey: String, CaseIterable, ExpressibleByArgument {
        case auth, sign

        var usage: CertificateUsage {
            switch self {
            case .auth: .authentication
            case .sign: .signature
            }
        }
    }

    func run() throws {
        let usage = key.usage
        let signatureBytes = try Self.read(signature)
        let data = try Self.read(input)
        let der = try Self.certificateDER(try Self.read(certificate), name: certificate)
        let anchors: TrustAnchors
        do {
            anchors = try TrustAnchors.load(directory: trustAnchors)
        } catch {
            throw ValidationError(error.description.terminalSafe)
        }
        var intermediates: [[UInt8]] = []
        for path in ca {
            intermediates.append(try Self.certificateDER(try Self.read(path), name: path))
        }
        let valid = SignatureCheck.isValid(
            Array(signatureBytes), for: DigestInfo(algorithm: digestAlgorithm, hashing: data), certificate: der)
        let validator = ChainValidator(anchors: anchors)
        let captured = intermediates
        let trust = Self.blocking { await validator.evaluate(der, usage: usage, intermediates: captured) }
        print("signature: \(valid ? "valid" : "INVALID")")
        print("trust: \(trust.rawValue) (revocation not checked)")
        if trust == .notChecked { print(Language.fromEnvironment().trustNotChecked) }
        if !valid || ![.trusted, .notChecked].contains(trust) { throw ExitCode(9) }
    }

    static func read(_ path: String) throws -> Data {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read \(path.terminalSafe)")
        }
        guard data.count <= 16 << 20 else { throw ValidationError("\(path.terminalSafe) is larger than 16 MiB") }
        return data
    }

    /// DER from a PEM or DER certificate file.
    static func certificateDER(_ data: Data, name: String) throws -> [UInt8] {
        let text = String(decoding: data, as: UTF8.self)
        if text.contains("-----BEGIN CERTIFICATE-----") {
            do {
                return try TrustAnchors.derCertificates(pem: text, name: name)[0]
            } catch {
                throw ValidationError(error.description.terminalSafe)
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

/// What jpki-verify prints goes to the terminal escaped (``TerminalText``): text from a
/// certificate cannot act on the terminal.
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    let text = items.map { "\($0)" }.joined(separator: separator)
    Swift.print(TerminalText.escape(text, keepingNewlines: true), terminator: terminator)
}

extension DigestAlgorithm: ExpressibleByArgument {}
