import ArgumentParser
import FoundationEssentials
import ISO7816
import JPKIAPI
import JPKIClient
import JPKIStaff
import JapaneseCalendar

#if canImport(Glibc)
    import Glibc
#endif

struct Health: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Daemon version, uptime and PC/SC state.")
    @OptionGroup var options: CommonOptions

    func run() throws {
        let data = try options.call("GET", "/v1/health")
        if options.json { return StandardStream.standardOutput.writeJSON(data) }
        let health = try options.decode(HealthView.self, data)
        print("jpkid \(health.version), up \(health.uptimeSeconds)s, PC/SC \(health.pcsc), \(health.readers) reader(s)")
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Readers, cards, PIN tries and certificate expiry. Exit 10 when a PIN is blocked or a certificate expired.")
    @OptionGroup var options: CommonOptions
    @Flag(help: "Read the card again instead of using the daemon's cache.")
    var refresh = false

    func run() throws {
        let readers: [ReaderView]
        if let id = options.reader {
            let data = try options.call("GET", "/v1/readers/\(id)\(refresh ? "?refresh=true" : "")")
            if options.json { return StandardStream.standardOutput.writeJSON(data) }
            readers = [try options.decode(ReaderView.self, data)]
        } else {
            var data = try options.call("GET", "/v1/readers")
            var list = try options.decode(ReaderList.self, data).readers
            if refresh {
                // Read again every card that is there.
                list = try list.map { reader in
                    guard reader.card != nil else { return reader }
                    return try options.decode(
                        ReaderView.self, options.call("GET", "/v1/readers/\(reader.id)?refresh=true"))
                }
                data = try APIJSON.encoder().encode(ReaderList(readers: list))
            }
            if options.json { return StandardStream.standardOutput.writeJSON(data) }
            readers = list
        }
        if Language.fromEnvironment() == .japanese {
            if Self.printJapanese(readers) { throw ExitCode(Exit.attentionNeeded.rawValue) }
            return
        }
        if readers.isEmpty { print("No readers. (Is a reader plugged in? See README troubleshooting.)") }
        var attention = false
        for reader in readers {
            print("\(reader.id)  \(reader.name.terminalSafe)  [\(reader.state.rawValue)]")
            if let error = reader.error {
                print("  error: \(error.code.rawValue.terminalSafe): \(error.message.terminalSafe)")
            }
            guard let card = reader.card else { continue }
            let read = card.readAt.map { "read \(Self.time($0))" } ?? "not read yet"
            print(
                "  card: \(card.kind)\(card.tokenLabel.map { " (\($0.terminalSafe))" } ?? "")  \(read)  id \(card.cardId)"
            )
            for kind in PINView.Kind.displayOrder {
                guard let pin = card.pins[kind] else { continue }
                let tries = pin.triesText
                let flag =
                    !pin.available
                    ? "  not set" : pin.blocked ? "  ** BLOCKED **" : pin.remaining == 1 ? "  ! last try" : ""
                if pin.blocked { attention = true }
                print("  PIN \(kind.rawValue.padded(to: 11)) \(tries)\(flag)\(PINView.applicationNote(kind))")
            }
            for slot in CertificateView.Slot.inReaderView {
                guard let cert = card.certificates[slot] else { continue }
                let flag: String
                switch cert.status {
                case .expired:
                    flag = "  ** EXPIRED **"
                    attention = true
                case .renewable: flag = "  ! renewable since \(cert.renewableFrom)"
                case .notYetValid: flag = "  ! not yet valid"
                default: flag = ""
                }
                // Citizens never renew CA certificates: no renewal date for them.
                let window = slot.isCA ? "" : ", renewable from \(cert.renewableFrom)"
                print(
                    "  cert \(slot.rawValue.padded(to: 8)) expires \(cert.expiryDate) "
                        + "(\(cert.daysUntilExpiry) days)\(window)\(flag)")
                if Self.printTrust(cert) { attention = true }
            }
            Self.printTrustNotChecked(card)
        }
        if attention { throw ExitCode(Exit.attentionNeeded.rawValue) }
    }

    static func time(_ date: Date) -> String {
        // Japan time: UTC+9, no daylight saving; the date from the shared Japan-time calendar.
        let seconds = Int(date.timeIntervalSince1970.rounded(.down)) + 9 * 3600
        let time = seconds - seconds.floorDivided(by: 86400) * 86400
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(JapanDate(date)) \(two(time / 3600)):\(two(time / 60 % 60)):\(two(time % 60)) JST"
    }
}

struct PINCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pin", abstract: "PIN counters and verification.",
        subcommands: [PINStatusCommand.self, Verify.self, PINChange.self])
}

struct PINStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Every PIN's tries left (read without spending a try).")
    @OptionGroup var options: CommonOptions

    func run() throws {
        let data = try options.call("GET", options.base)
        let reader = try options.decode(ReaderView.self, data)
        if options.json {
            let pins = reader.card?.pins ?? [:]
            return StandardStream.standardOutput.writeJSON(try APIJSON.encoder().encode(pins))
        }
        guard let card = reader.card else {
            printError("no card in \(reader.id)")
            throw ExitCode(Exit.noCard.rawValue)
        }
        for kind in PINView.Kind.displayOrder {
            guard let pin = card.pins[kind] else { continue }
            let state = !pin.available ? "not set" : pin.blocked ? "BLOCKED" : pin.triesText
            print("\(kind.rawValue.padded(to: 11)) \(state)\(PINView.applicationNote(kind))")
        }
    }
}

/// Reads a PIN from the terminal without echo, or a line of standard input.
func readPIN(prompt: String) throws -> String {
    if isatty(STDIN_FILENO) != 0 {
        StandardStream.standardError.write(Data(prompt.utf8))
        var saved = termios()
        tcgetattr(STDIN_FILENO, &saved)
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        defer {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
            StandardStream.standardError.write(Data("\n".utf8))
        }
        return readLine(strippingNewline: true) ?? ""
    }
    guard let line = readLine(strippingNewline: true) else {
        printError("no PIN on standard input")
        throw ExitCode(Exit.badInput.rawValue)
    }
    return line.hasSuffix("\r") ? String(line.dropLast()) : line
}

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Verify a PIN (auth, sign, card-text, juki, juki-ap, card-face-birth-date). Spends a try only if the PIN is wrong.",
        discussion: """
            juki is the JUKI PIN as the common card application holds it, juki-ap the JUKI \
            application's own copy (two counters). card-face-birth-date asks for the birth date \
            (YYYY-MM-DD); jpkid writes its Japanese era year.
            """)
    @OptionGroup var options: CommonOptions
    @Argument(help: "auth, sign, card-text, juki, juki-ap or card-face-birth-date.")
    var kind: String
    @Flag(name: .customLong("confirm-final-attempt"), help: "Go on even when one try is left.")
    var confirmFinalAttempt = false

    static let kinds = ["auth", "sign", "card-text", "juki", "juki-ap", "card-face-birth-date"]

    func run() throws {
        guard Self.kinds.contains(kind) else {
            throw ValidationError("PIN kind must be one of \(Self.kinds.joined(separator: ", "))")
        }
        let target = try options.pinTarget()
        let d = Diagnosis(language: .fromEnvironment())
        let hint = kind == "card-face-birth-date" ? " YYYY-MM-DD" : ""
        let pin = try readPIN(prompt: "\(d.pinName(.init(rawValue: kind)))\(hint) (\(target.label)): ")
        let data = try options.call(
            "POST", "\(target.path)/pins/\(kind)/verify",
            body: PINRequest(pin: pin, confirmFinalAttempt: confirmFinalAttempt ? true : nil, cardId: target.cardId))
        if options.json { return StandardStream.standardOutput.writeJSON(data) }
        let response = try options.decode(VerifyResponse.self, data)
        print("\(kind): \(response.result) (\(response.pin.triesText))")
    }
}

struct Sign: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sign a file (hashed here) or a digest with the card's auth or sign key.")
    @OptionGroup var options: CommonOptions
    @Option(help: "auth or sign.")
    var key = "auth"
    @Option(name: .customLong("digest-algorithm"), help: "sha1, sha256, sha384, sha512.")
    var digestAlgorithm = "sha256"
    @Option(help: "File to sign.")
    var input: String?
    @Option(help: "A digest already computed, in hex.")
    var digest: String?
    @Option(help: "Write the raw signature here (default: base64 to stdout).")
    var output: String?
    @Option(name: .customLong("certificate-output"), help: "Write the signer's certificate (PEM) here.")
    var certificateOutput: String?
    @Flag(name: .customLong("confirm-final-attempt"), help: "Go on even when one try is left.")
    var confirmFinalAttempt = false

    func validate() throws {
        guard (input == nil) != (digest == nil) else {
            throw ValidationError("give exactly one of --input and --digest")
        }
        guard ["auth", "sign"].contains(key) else { throw ValidationError("--key must be auth or sign") }
    }

    func run() throws {
        var request = SignRequest(key: key, pin: "", digestAlgorithm: digestAlgorithm)
        if let input {
            guard let data = FileManager.default.contents(atPath: input) else {
                throw ValidationError("cannot read \(input)")
            }
            request.data = data.base64EncodedString()
        } else if let digest {
            guard let bytes = [UInt8](hex: digest) else { throw ValidationError("--digest is not hex") }
            request.digest = Data(bytes).base64EncodedString()
        }
        let target = try options.pinTarget()
        request.cardId = target.cardId
        request.pin = try readPIN(
            prompt: "\(Diagnosis(language: .fromEnvironment()).pinName(.init(rawValue: key))) (\(target.label)): ")
        request.confirmFinalAttempt = confirmFinalAttempt ? true : nil
        let data = try options.call("POST", "\(target.path)/sign", body: request)
        if options.json { return StandardStream.standardOutput.writeJSON(data) }
        let response = try options.decode(SignResponse.self, data)
        guard let signature = Data(base64Encoded: response.signature) else {
            printError("unexpected answer from jpkid: the signature is not base64")
            throw ExitCode(Exit.failure.rawValue)
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

struct Cert: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Certificates.", subcommands: [Export.self])

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export auth, auth-ca or sign-ca; sign needs the sign PIN.")
        @OptionGroup var options: CommonOptions
        @Argument(help: "auth, auth-ca, sign-ca or sign.")
        var which: String
        @Flag(help: "DER instead of PEM.")
        var der = false
        @Option(help: "Write here instead of stdout.")
        var output: String?

        func run() throws {
            var bytes: Data
            switch which {
            case "auth", "auth-ca", "sign-ca":
                bytes = try options.call("GET", "\(options.base)/certificates/\(which)?format=\(der ? "der" : "pem")")
            case "sign":
                let target = try options.pinTarget()
                let pin = try readPIN(
                    prompt: "\(Diagnosis(language: .fromEnvironment()).pinName(.sign)) (\(target.label)): ")
                let data = try options.call(
                    "POST", "\(target.path)/certificates/sign", body: PINRequest(pin: pin, cardId: target.cardId))
                if options.json { return StandardStream.standardOutput.writeJSON(data) }
                let pem = try options.decode(SignCertificateResponse.self, data).certificate
                bytes = Data(pem.utf8)
                if der {
                    let body = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
                    guard let decoded = Data(base64Encoded: body) else {
                        printError("unexpected answer from jpkid: the certificate is not PEM")
                        throw ExitCode(Exit.failure.rawValue)
                    }
                    bytes = decoded
                }
            default:
                throw ValidationError("certificate must be auth, auth-ca, sign-ca or sign")
            }
            if let output {
                try bytes.write(to: URL(fileURLWithPath: output))
            } else {
                StandardStream.standardOutput.write(bytes)
            }
        }
    }
}

struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print events as they happen (Ctrl-C to stop).")
    @OptionGroup var options: CommonOptions
    @Option(help: "Stop after this many events.")
    var count: Int?

    func run() throws {
        var seen = 0
        let response: UnixHTTPClient.Response?
        do {
            response = try options.client.events("/v1/events") { type, data in
                if options.json {
                    print(data)
                } else if let event = try? APIJSON.decoder().decode(EventView.self, from: Data(data.utf8)) {
                    var line = "\(Status.time(event.time))  \(type)"
                    if let reader = event.reader { line += "  reader=\(reader)" }
                    if let pin = event.pin { line += "  pin=\(pin)" }
                    if let remaining = event.remaining { line += "  remaining=\(remaining)" }
                    if let kind = event.kind { line += "  kind=\(kind)" }
                    print(line)
                }
                fflush(nil)
                seen += 1
                return count.map { seen < $0 } ?? true
            }
        } catch {
            printError("\(error)")
            throw ExitCode(Exit.unreachable.rawValue)
        }
        if let response, !(200..<300).contains(response.status) {
            let detail = try? APIJSON.decoder().decode(ErrorBody.self, from: response.body)
            printError("\(detail?.error.code.rawValue ?? "http_\(response.status)"): \(detail?.error.message ?? "")")
            throw ExitCode(Exit.forCode(detail?.error.code).rawValue)
        }
    }
}

struct Diagnose: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "For staff at a counter: every PIN and certificate, and what the citizen must do next.",
        discussion: "Japanese when the locale (LC_ALL, LC_MESSAGES, LANG) is Japanese, English otherwise.")
    @OptionGroup var options: CommonOptions

    func run() throws {
        let data = try options.call("GET", "\(options.base)?refresh=true")
        let reader = try options.decode(ReaderView.self, data)
        let diagnosis = Diagnosis(language: .fromEnvironment())
        guard let card = reader.card else {
            printError("no card in \(reader.id)")
            throw ExitCode(Exit.noCard.rawValue)
        }
        let findings = diagnosis.readerFindings(for: reader) + diagnosis.findings(for: card)
        if options.json {
            struct Item: Encodable {
                var severity: String
                var summary: String
                var actions: [String]
            }
            let items = findings.map { Item(severity: $0.severity.rawValue, summary: $0.summary, actions: $0.actions) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            StandardStream.standardOutput.writeJSON(try encoder.encode(items))
            print()
        } else {
            let ja = diagnosis.language == .japanese
            let kindName = diagnosis.cardKindName(card.kind)
            print(
                ja
                    ? "カード: \(kindName)（\(reader.name.terminalSafe)）"
                    : "Card: \(kindName)  (\(reader.name.terminalSafe))")
            for kind in PINView.Kind.displayOrder {
                guard let pin = card.pins[kind] else { continue }
                let state =
                    !pin.available
                    ? (ja ? "未設定" : "not set")
                    : pin.blocked ? (ja ? "ロック" : "BLOCKED") : pin.triesText
                print("  \(diagnosis.pinName(kind)): \(state)")
            }
            for slot in CertificateView.Slot.inReaderView {
                guard let cert = card.certificates[slot] else { continue }
                // CA certificates get no renewal date: citizens never renew them.
                let status = diagnosis.certificateStatusName(cert.status)
                let window =
                    slot.isCA
                    ? "" : ja ? "（更新可能 \(cert.renewableFrom)〜）" : " (renewable from \(cert.renewableFrom))"
                print(
                    ja
                        ? "  \(diagnosis.certificateName(slot)): 有効期限 \(cert.expiryDate)\(window) \(status)"
                        : "  \(diagnosis.certificateName(slot)): expires \(cert.expiryDate)\(window) \(status)")
            }
            print()
            if findings.isEmpty {
                print(ja ? "問題は見つかりませんでした。" : "No problems found.")
            }
            for finding in findings.sorted(by: { $0.severity > $1.severity }) {
                let mark = finding.severity == .problem ? "✖" : finding.severity == .warning ? "!" : "·"
                print("\(mark) \(finding.summary)")
                for action in finding.actions { print("    → \(action)") }
            }
        }
        if findings.contains(where: { $0.severity == .problem }) { throw ExitCode(Exit.attentionNeeded.rawValue) }
    }
}
