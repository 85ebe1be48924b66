import ArgumentParser
import CardSimulator
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Set by SIGTERM/SIGINT; the link loop watches it.
let stopRequested = Atomic<Bool>(false)
/// Set by SIGUSR1 with --remove-on-signal; the watcher arms the removal.
let pullRequested = Atomic<Bool>(false)

@main
struct JPKISim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jpki-sim",
        abstract: "A simulated My Number card (JPKI) for tests and demos.",
        discussion: """
            Without --vpcd it prints the card's certificates or state and exits. With --vpcd it \
            connects to vsmartcard's vpcd driver inside pcscd, so every PC/SC client sees the card in \
            reader "Virtual PCD 00 00". Stopping the simulator removes the card.

            Scenarios: \(Scenario.presetNames.joined(separator: ", ")); with --cvc-hierarchy also \
            forged-face, cloned-chip, unknown-issuer, key-mismatch.
            Default card: auth, card-text and JUKI PIN 1234, sign PIN ABC123, all counters full.
            """)

    @Option(help: "A named scenario.")
    var scenario = "default"

    @Option(
        help: """
            Sign the card data with the CVC hierarchy in this directory (created with keys/*.json for \
            jpkid's cvcKeys when missing). Without it the card carries no signed card data.
            """)
    var cvcHierarchy: String?

    @Option(help: "A JSON scenario file (fields as in docs/testing.md); overrides --scenario.")
    var config: String?

    @Option(help: "Persist the card in this file so a sequence of runs shares one card.")
    var state: String?

    @Option(help: "Connect to vpcd at HOST:PORT, e.g. 127.0.0.1:35963.")
    var vpcd: String?

    @Option(help: "The card's auth PIN.")
    var authPIN: String?
    @Option(help: "The card's sign PIN.")
    var signPIN: String?
    @Option(help: "The card's card-text PIN.")
    var cardTextPIN: String?
    @Option(help: "The common-card AP's PIN at 001C (jpkid's juki).")
    var jukiPIN: String?
    @Option(
        name: .customLong("juki-ap-pin"), help: "The JUKI AP's own PIN at 001C (jpkid's juki-ap); default --juki-pin.")
    var jukiAPPIN: String?
    @Option(
        help: "The holder's birth date (YYYY-MM-DD, Gregorian; the card-face keys take it in the era).")
    var birthDate: String?
    @Flag(
        name: .customLong("blocked-answers-6984"),
        help: "The empty VERIFY on a blocked key answers 69 84 instead of the 63 C0 real cards answer.")
    var blockedAnswers6984 = false

    @Option(
        help:
            "Tries left for a PIN, as PIN=N (auth, sign, card-text, juki, juki-ap, card-text-a, card-text-b, card-face-birth-date, card-face-a, card-face-b). Repeatable."
    )
    var tries: [String] = []

    @Flag(help: "A child's card: no sign certificate.")
    var noSignCertificate = false

    @Option(help: "The card's token.")
    var token: Scenario.Token?

    @Option(help: "Last valid day of the auth certificate (YYYY-MM-DD, Japan).")
    var authExpiry: String?
    @Option(help: "Last valid day of the sign certificate (YYYY-MM-DD, Japan).")
    var signExpiry: String?

    @Option(name: .customLong("delay-ms"), help: "Fault: delay each APDU by this many milliseconds.")
    var delayMilliseconds: Int?
    @Option(help: "Fault: pull the card after N APDUs of an insertion (once).")
    var removeAfter: Int?
    @Option(
        help: ArgumentHelp(
            "Fault: on each SIGUSR1, pull the card after N more APDUs.",
            discussion: "The log says 'removal armed' once the signal is taken; tests wait for it."))
    var removeOnSignal: Int?
    @Option(name: .customLong("reinsert-after-ms"), help: "After a fault removal, re-insert after this long; -1 never.")
    var reinsertAfterMilliseconds = 1000
    @Option(help: "Fault: flip a bit in the response to APDU number N.")
    var corruptResponse: Int?
    @Option(help: "Fault: truncate the response to APDU number N.")
    var truncateResponse: Int?

    @Flag(
        help: "Fault: COMPUTE DIGITAL SIGNATURE answers 6F 00 whenever its PIN is verified (fails after VERIFY).")
    var failAuthorisedSignatures = false

    @Option(help: "Append each APDU (never PIN bytes) to this file as a JSON line.")
    var trace: String?
    @Option(
        help: "Append each power control the reader sends (0 power-down, 1 power-up, 2 warm reset) as a line.")
    var controlLog: String?

    @Option(
        help: "Print a certificate as PEM and exit: auth, auth-ca, sign, sign-ca.")
    var exportCertificate: String?

    @Flag(help: "Print the card's PIN counters and certificate files as JSON and exit.")
    var dump = false

    // Trust checks: the simulated CA, for trust anchors that the simulated certificates chain to.
    @Option(
        help: "Write auth-ca.pem and sign-ca.pem (PEM) into this directory and exit.")
    var exportCA: String?
    @Flag(help: "Fault: every signature the card returns has a flipped bit.")
    var tamperSignature = false
    @Flag(
        help: "Fault: the auth and sign certificate files hold each other's.")
    var swapCertificates = false
    @Flag(
        help: "Fault: a wrong PIN answers 63 Cx but spends no try (contract tests)."
    )
    var endlessTries = false

    // Power semantics. By default a warm reset keeps verified PINs; only a power-down
    // clears them, as on physical cards.
    @Flag(name: .customLong("power-up-6f00"), help: "The first APDU after each power-up answers 6F 00.")
    var powerUp6F00 = false
    @Flag(
        help: "The old behaviour, for comparison: a warm reset clears verified PINs too.")
    var isoReset = false
    @Flag(
        help: "A reader that ignores power-down and reset: the card keeps its selection and verified PINs.")
    var readerKeepsState = false

    mutating func run() throws {
        var scenario =
            try config.map { try Scenario.load(from: URL(fileURLWithPath: $0)) }
            ?? Scenario.preset(named: self.scenario)
        if let authPIN { scenario.authPIN = authPIN }
        if let signPIN { scenario.signPIN = signPIN }
        if let cardTextPIN { scenario.cardTextPIN = cardTextPIN }
        if let jukiPIN { scenario.jukiPIN = jukiPIN }
        if let jukiAPPIN { scenario.jukiAPPIN = jukiAPPIN }
        if let birthDate { scenario.holder.birthDate = birthDate }
        if blockedAnswers6984 { scenario.blockedAnswers6984 = true }
        for entry in tries {
            let parts = entry.split(separator: "=")
            guard parts.count == 2, let n = Int(parts[1]) else {
                throw ValidationError("--tries takes PIN=N, e.g. auth=2")
            }
            scenario.triesLeft[String(parts[0])] = n
        }
        if noSignCertificate { scenario.signCertificate = false }
        if let token { scenario.token = token }
        if let authExpiry { scenario.authExpiry = authExpiry }
        if let signExpiry { scenario.signExpiry = signExpiry }
        if swapCertificates { scenario.swapCertificates = true }
        try scenario.validate()

        let hierarchy = try cvcHierarchy.map { try CVCHierarchy.loadOrCreate(directory: URL(fileURLWithPath: $0)) }
        let card =
            try state.map {
                try SimulatedCard.persistent(at: URL(fileURLWithPath: $0), scenario: scenario, hierarchy: hierarchy)
            }
            ?? SimulatedCard(image: try CardBuilder.build(scenario, hierarchy: hierarchy))

        var faults = SimulatedCard.Faults()
        if let delayMilliseconds { faults.delayPerAPDU = .milliseconds(delayMilliseconds) }
        faults.removeAfterAPDUs = removeAfter
        faults.corruptResponseAt = corruptResponse
        faults.truncateResponseAt = truncateResponse
        faults.failAuthorisedSignatures = failAuthorisedSignatures
        faults.tamperSignature = tamperSignature
        faults.endlessTries = endlessTries
        card.faults = faults
        var power = scenario.power ?? SimulatedCard.Power()
        if powerUp6F00 { power.powerUp6F00 = true }
        if isoReset { power.isoReset = true }
        if readerKeepsState { power.readerKeepsState = true }
        card.power = power
        if let exportCA { return try Self.exportCA(card.image, to: exportCA) }

        if let removeOnSignal, removeOnSignal < 0 {
            throw ValidationError("--remove-on-signal takes a count of APDUs (0 or more)")
        }
        if let exportCertificate {
            let fid: UInt16
            switch exportCertificate {
            case "auth": fid = 0x000A
            case "auth-ca": fid = 0x000B
            case "sign": fid = 0x0001
            case "sign-ca": fid = 0x0002
            default: throw ValidationError("--export-certificate takes auth, auth-ca, sign or sign-ca")
            }
            guard let der = card.image.file(fid) else {
                throw ValidationError("this card has no \(exportCertificate) certificate")
            }
            let body = der.base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
            print("-----BEGIN CERTIFICATE-----\n\(body)\n-----END CERTIFICATE-----")
            return
        }
        if dump {
            print(Self.summary(card.image))
            return
        }
        guard let vpcd else {
            throw ValidationError("nothing to do: give --vpcd HOST:PORT, --export-certificate or --dump")
        }
        let (host, port) = try VPCDLink.parseAddress(vpcd)
        let traceHandle = try trace.map { path -> FileHandle in
            if !FileManager.default.fileExists(atPath: path) {
                _ = FileManager.default.createFile(atPath: path, contents: nil)
            }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            handle.seekToEndOfFile()
            return handle
        }
        let traceWriter = traceHandle.map { TraceWriter(handle: $0) }
        let controlWriter = try controlLog.map { path -> TraceWriter in
            if !FileManager.default.fileExists(atPath: path) {
                _ = FileManager.default.createFile(atPath: path, contents: nil)
            }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            handle.seekToEndOfFile()
            return TraceWriter(handle: handle)
        }
        let link = VPCDLink(
            card: card, host: host, port: port,
            reinsertAfter: reinsertAfterMilliseconds < 0 ? nil : .milliseconds(reinsertAfterMilliseconds),
            log: { Self.log($0) },
            onAPDU: { traceWriter?.write($0) },
            onControl: { controlWriter?.writeLine(String($0)) })

        signal(SIGTERM) { _ in stopRequested.store(true, ordering: .relaxed) }
        signal(SIGINT) { _ in stopRequested.store(true, ordering: .relaxed) }
        signal(SIGPIPE, SIG_IGN)
        signal(SIGUSR1) { _ in pullRequested.store(true, ordering: .relaxed) }
        let pullAfter = removeOnSignal
        let watcher = Thread {
            while !stopRequested.load(ordering: .relaxed) {
                if pullRequested.exchange(false, ordering: .relaxed) {
                    if let pullAfter {
                        card.pull(afterAPDUs: pullAfter)
                        Self.log("removal armed: the card is pulled after \(pullAfter) more APDU(s)")
                    } else {
                        Self.log("SIGUSR1 ignored: start with --remove-on-signal N to pull the card on it")
                    }
                }
                usleep(20_000)
            }
            link.stop()
        }
        watcher.start()
        Self.log(
            "scenario '\(scenario.name)', ATR \(card.atr.map { String(format: "%02X", $0) }.joined(separator: " "))")
        link.run()
        Self.log("stopped after serving \(card.apduCount) APDU(s)")
    }

    static func log(_ message: String) {
        FileHandle.standardError.write(Data("jpki-sim: \(message)\n".utf8))
    }

    /// PIN counters and file sizes; no PIN values (the image holds only salted digests anyway).
    static func summary(_ image: CardImage) -> String {
        var lines: [String] = []
        for app in image.applications {
            let pins = app.pins.map {
                "\"\(String(format: "%04X", $0.fid))\": {\"remaining\": \($0.remaining), \"max\": \($0.maxTries)}"
            }
            let files = app.files.map { "\"\(String(format: "%04X", $0.fid))\": \($0.content.count)" }
            lines.append(
                "  \"\(app.name)\": {\"pins\": {\(pins.joined(separator: ", "))}, \"files\": {\(files.joined(separator: ", "))}}"
            )
        }
        return "{\n\(lines.joined(separator: ",\n"))\n}"
    }
}

/// Appends trace entries as JSON lines.
final class TraceWriter: Sendable {
    private let handle: Mutex<FileHandle>
    init(handle: FileHandle) { self.handle = Mutex(handle) }
    func write(_ entry: SimulatedCard.TraceEntry) {
        guard let data = try? JSONEncoder().encode(entry) else { return }
        handle.withLock { $0.write(data + Data("\n".utf8)) }
    }
    func writeLine(_ line: String) {
        handle.withLock { $0.write(Data((line + "\n").utf8)) }
    }
}

extension Scenario.Token: ExpressibleByArgument {}
