import Foundation
import ISO7816
import Synchronization

/// A simulated My Number card: a file system, PIN retry counters and RSA keys that answer
/// command APDUs as the real card does (see the reference, sections 1–6).
///
/// Thread-safe; one APDU is processed at a time. Tests reach it in-process through
/// ``SimulatedCardTransport``; `jpki-sim` puts it behind pcscd with ``VPCDLink``.
public final class SimulatedCard: Sendable {
    /// Fault injection for tests.
    public struct Faults: Sendable, Equatable {
        /// Wait this long before answering each APDU.
        public var delayPerAPDU: Duration = .zero
        /// Wait this long more before answering a command that carries a PIN (a card or reader
        /// that hangs in the middle of a VERIFY).
        public var delayPINCommands: Duration = .zero
        /// A command that carries a PIN is answered with this status word, the PIN unchecked and
        /// no try spent (a card that answers `6F 00` to a VERIFY: its outcome cannot be told).
        public var pinCommandStatus: StatusWord?
        /// The next this many APDUs answer `6F 00` (counted down; a card that keeps failing
        /// after a power-up).
        public var answer6F00 = 0
        /// The card is pulled after this many APDUs in this insertion (one-shot).
        public var removeAfterAPDUs: Int?
        /// The card is pulled after this many more APDUs, counted from when it was set (one-shot);
        /// ``SimulatedCard/pull(afterAPDUs:)`` sets it while the card is in use.
        public var removeAfterMoreAPDUs: Int?
        /// The response to the APDU with this 1-based number (since insertion) has a flipped bit.
        public var corruptResponseAt: Int?
        /// The response to the APDU with this 1-based number (since insertion) loses its last bytes.
        public var truncateResponseAt: Int?
        /// COMPUTE DIGITAL SIGNATURE fails with `6F 00` whenever its PIN *is* verified (an
        /// operation that fails after its VERIFY). Unverified attempts still get `69 82`, so a
        /// client that gets anything else has found the card verified.
        public var failAuthorisedSignatures = false
        /// Every authorised COMPUTE DIGITAL SIGNATURE answers a signature with one bit flipped
        /// (a card whose signatures do not verify).
        public var tamperSignature = false
        /// A wrong PIN answers `63 Cx` but spends no try, so a contract or fuzzing run that sends
        /// many wrong PINs never blocks the card (Tests/contract).
        public var endlessTries = false
        public init() {}
    }

    /// One served APDU as the trace keeps it: never a PIN.
    public struct TraceEntry: Sendable, Equatable, Codable {
        public let index: Int
        /// The command in hex, VERIFY data replaced by its length.
        public let command: String
        public let ins: UInt8
        public let dataLength: Int
        public let statusWord: UInt16
        public let responseLength: Int
    }

    struct State {
        var image: CardImage
        var keys: [UInt16: CardKey] = [:]
        /// The default keys by application index.
        var defaultKeys: [Int: CardKey] = [:]
        var currentApplication: Int?
        var currentFile: UInt16?
        var verified: Set<UInt16> = []
        /// The application whose PINs `verified` holds: a warm reset returns to the default DF
        /// but keeps them, so re-selecting this one finds them still verified.
        var verifiedApplication: Int?
        var power = Power()
        /// Set by a power-up with ``Power/powerUp6F00``: the next APDU answers `6F 00`.
        var answerNoDiagnosisNext = false
        /// The control messages the reader sent, in order (`0` off, `1` on, `2` warm reset).
        var controls: [UInt8] = []
        /// In the current transaction: power-cycled, and no PIN sent since.
        var closedByPowerCycle = false
        var trace: [TraceEntry] = []
        var served = 0
        var sinceInsertion = 0
        var faults = Faults()
        var removed = false
    }

    private let state: Mutex<State>
    private let stateFile: URL?
    /// The PC/SC-like transaction lock that ``SimulatedCardTransport``s on this card share.
    public let transactions = AsyncLock()

    /// Creates a card from an image; with `stateFile`, every counter change is saved there.
    public init(image: CardImage, stateFile: URL? = nil) throws {
        var state = State(image: image)
        for (index, application) in image.applications.enumerated() {
            if let key = application.defaultKey { state.defaultKeys[index] = try CardKey(derRepresentation: key.der) }
            for key in application.keys {
                state.keys[key.fid] = try CardKey(derRepresentation: key.der)
            }
        }
        self.state = Mutex(state)
        self.stateFile = stateFile
    }

    /// Loads the card saved in `url`, or builds one from `scenario` and saves it there.
    public static func persistent(at url: URL, scenario: Scenario, hierarchy: CVCHierarchy? = nil) throws
        -> SimulatedCard
    {
        if FileManager.default.fileExists(atPath: url.path) {
            do {
                let image = try JSONDecoder().decode(CardImage.self, from: Data(contentsOf: url))
                return try SimulatedCard(image: image, stateFile: url)
            } catch let error as SimulatorError {
                throw error
            } catch {
                throw SimulatorError.stateFile("\(url.path) could not be read: \(error.localizedDescription)")
            }
        }
        let card = try SimulatedCard(image: try CardBuilder.build(scenario, hierarchy: hierarchy), stateFile: url)
        try card.save()
        return card
    }

    // MARK: - Inspection and control

    /// The card's current content.
    public var image: CardImage { state.withLock { $0.image } }
    public var atr: [UInt8] { state.withLock { Array($0.image.atr) } }
    /// APDUs served since creation.
    public var apduCount: Int { state.withLock { $0.served } }
    public var trace: [TraceEntry] { state.withLock { $0.trace } }
    public var isRemoved: Bool { state.withLock { $0.removed } }

    public var faults: Faults {
        get { state.withLock { $0.faults } }
        set { state.withLock { $0.faults = newValue } }
    }

    public func clearTrace() { state.withLock { $0.trace.removeAll() } }

    /// Arms a removal: the card answers `count` more APDUs, then is pulled in the middle of
    /// whatever its reader is doing.
    public func pull(afterAPDUs count: Int) {
        state.withLock { $0.faults.removeAfterMoreAPDUs = max(0, count) }
    }

    /// A full power cycle (power-down, then power-up; see `SimulatedCard+Power.swift`).
    public func reset() {
        powerDown()
        powerUp()
    }

    /// Runs `body` on the state (the power semantics live in an extension of their own).
    func withState<T>(_ body: (inout State) -> T) -> T { state.withLock { body(&$0) } }

    /// Pulls the card: further APDUs fail until ``insert()``.
    public func remove() { state.withLock { $0.removed = true } }

    /// Puts the card back (powered up afresh).
    public func insert() {
        // A card placed on a reader is powered up afresh, whatever the reader does later.
        state.withLock {
            $0.removed = false
            $0.sinceInsertion = 0
            $0.currentApplication = nil
            $0.currentFile = nil
            $0.verified = []
            $0.verifiedApplication = nil
            $0.answerNoDiagnosisNext = $0.power.powerUp6F00
        }
    }

    // MARK: - APDU processing

    /// What ``process(_:)`` tells its caller besides the response bytes.
    public enum Outcome: Sendable, Equatable {
        case response([UInt8])
        /// The card is (now) removed: the link must drop.
        case removed
    }

    /// Answers one command APDU, applying fault injection, tracing and persistence.
    public func process(_ command: [UInt8]) -> Outcome {
        let result = state.withLock { s -> (Outcome, Bool) in
            if s.removed { return (.removed, false) }
            if let limit = s.faults.removeAfterAPDUs, s.sinceInsertion >= limit {
                s.removed = true
                s.faults.removeAfterAPDUs = nil
                return (.removed, false)
            }
            if let left = s.faults.removeAfterMoreAPDUs {
                guard left > 0 else {
                    s.removed = true
                    s.faults.removeAfterMoreAPDUs = nil
                    return (.removed, false)
                }
                s.faults.removeAfterMoreAPDUs = left - 1
            }
            s.served += 1
            s.sinceInsertion += 1
            let before = s.image
            var response: [UInt8]
            if s.faults.answer6F00 > 0 {
                s.faults.answer6F00 -= 1
                response = StatusWord.noPreciseDiagnosis.bytes
            } else if s.answerNoDiagnosisNext {
                // The first command after a power-up, as one physical card answers it.
                s.answerNoDiagnosisNext = false
                response = StatusWord.noPreciseDiagnosis.bytes
            } else {
                response = Self.respond(to: command, state: &s)
            }
            let parsed = try? CommandAPDU(bytes: command)
            s.trace.append(
                TraceEntry(
                    index: s.served,
                    command: parsed?.redactedDescription ?? "\(command.count) unparsable byte(s)",
                    ins: command.count > 1 ? command[1] : 0, dataLength: parsed?.data.count ?? 0,
                    statusWord: response.count >= 2
                        ? UInt16(response[response.count - 2]) << 8 | UInt16(response[response.count - 1]) : 0,
                    responseLength: response.count))
            if s.faults.corruptResponseAt == s.sinceInsertion, !response.isEmpty {
                response[0] ^= 0x01
            }
            if s.faults.truncateResponseAt == s.sinceInsertion {
                response = Array(response.prefix(max(0, response.count - 3)))
            }
            return (.response(response), s.image != before)
        }
        if result.1 { try? save() }
        return result.0
    }

    /// The configured per-APDU delay.
    public var delay: Duration { state.withLock { $0.faults.delayPerAPDU } }

    /// Writes the card to its state file (0600, atomically).
    public func save() throws {
        guard let stateFile else { return }
        let image = self.image
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let data = try encoder.encode(image)
            try data.write(to: stateFile, options: .atomic)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: stateFile.path)
        } catch {
            throw SimulatorError.stateFile("\(stateFile.path) could not be written: \(error.localizedDescription)")
        }
    }

    private static func respond(to bytes: [UInt8], state s: inout State) -> [UInt8] {
        let command: CommandAPDU
        do {
            command = try CommandAPDU(bytes: bytes)
        } catch {
            return StatusWord.wrongLength.bytes
        }
        let behaviour = s.image.behaviour ?? CardImage.Behaviour()
        // Lc or Le in extended form: 00 after the header, then two bytes.
        if !behaviour.extendedLength, bytes.count >= 7, bytes[4] == 0x00 {
            return StatusWord.wrongLength.bytes
        }
        switch (command.cla, command.ins) {
        case (0x00, 0xA4): return select(command, &s)
        case (0x00, 0xB0): return readBinary(command, &s)
        case (0x00, 0x20): return verify(command, &s)
        case (0x80, 0x2A): return computeSignature(command, &s)
        case (0x00, 0x24): return changeReferenceData(command, &s)
        case (0x00, _), (0x80, _): return StatusWord.instructionNotSupported.bytes
        default: return StatusWord.classNotSupported.bytes
        }
    }

    private static func select(_ c: CommandAPDU, _ s: inout State) -> [UInt8] {
        switch c.p1 {
        case 0x04:
            guard let index = s.image.applications.firstIndex(where: { Array($0.aid) == c.data }) else {
                return StatusWord.fileNotFound.bytes
            }
            // Another AP clears the PINs verified in the last one; the same AP keeps them.
            if s.verifiedApplication != index { s.verified = [] }
            s.verifiedApplication = index
            s.currentApplication = index
            s.currentFile = nil
            return StatusWord.success.bytes
        case 0x00 where c.data == [0x3F, 0x00] || c.data.isEmpty:
            s.currentApplication = nil
            s.currentFile = nil
            s.verified = []
            return StatusWord.success.bytes
        case 0x02:
            guard c.data.count == 2 else { return StatusWord.wrongLength.bytes }
            let fid = UInt16(c.data[0]) << 8 | UInt16(c.data[1])
            guard let app = s.currentApplication, Self.exists(fid, in: s.image.applications[app]) else {
                return StatusWord.fileNotFound.bytes
            }
            s.currentFile = fid
            return StatusWord.success.bytes
        default:
            return StatusWord.incorrectParameters.bytes
        }
    }

    private static func exists(_ fid: UInt16, in app: CardImage.Application) -> Bool {
        app.files.contains { $0.fid == fid } || app.pins.contains { $0.fid == fid }
            || app.keys.contains { $0.fid == fid }
    }

    private static func readBinary(_ c: CommandAPDU, _ s: inout State) -> [UInt8] {
        guard let le = c.expectedLength, c.data.isEmpty else { return StatusWord.wrongLength.bytes }
        guard let app = s.currentApplication else { return StatusWord.commandNotAllowed.bytes }
        let offset: Int
        if c.p1 & 0x80 != 0 {
            let sfi = UInt16(c.p1 & 0x1F)
            guard Self.exists(sfi, in: s.image.applications[app]) else { return StatusWord.fileNotFound.bytes }
            s.currentFile = sfi
            offset = Int(c.p2)
        } else {
            offset = Int(c.p1) << 8 | Int(c.p2)
        }
        guard let fid = s.currentFile else { return StatusWord.commandNotAllowed.bytes }
        guard let file = s.image.applications[app].files.first(where: { $0.fid == fid }) else {
            // PIN and key EFs are never readable.
            return StatusWord.securityStatusNotSatisfied.bytes
        }
        if !file.isReadable(verified: s.verified) {
            return StatusWord.securityStatusNotSatisfied.bytes
        }
        guard offset < file.content.count else { return StatusWord.wrongParameters.bytes }
        let end = min(offset + le, file.content.count)
        let data = Array(file.content[offset..<end])
        return data + (data.count < le ? StatusWord.endOfFileReached : StatusWord.success).bytes
    }

    /// The PIN a VERIFY or CHANGE REFERENCE DATA names (P2 `80 | SFI`, or `80` and the current
    /// EF): its application, file id and index, or nil when there is none.
    static func namedPIN(_ c: CommandAPDU, _ s: State) -> (app: Int, fid: UInt16, index: Int)? {
        guard let app = s.currentApplication else { return nil }
        let fid: UInt16
        if c.p2 & 0x1F != 0 {
            fid = UInt16(c.p2 & 0x1F)
        } else if let current = s.currentFile {
            fid = current
        } else {
            return nil
        }
        guard let index = s.image.applications[app].pins.firstIndex(where: { $0.fid == fid }) else { return nil }
        return (app, fid, index)
    }

    private static func verify(_ c: CommandAPDU, _ s: inout State) -> [UInt8] {
        guard c.p1 == 0x00, c.p2 & 0x80 != 0 else { return StatusWord.incorrectParameters.bytes }
        guard let (app, fid, index) = namedPIN(c, s) else { return StatusWord.referencedDataNotFound.bytes }
        let record = s.image.applications[app].pins[index]
        if c.data.isEmpty {
            // Real JPKI cards answer 63 Cx here even right after a right PIN; an ISO-style card
            // may say 90 00 ("verified").
            if s.verified.contains(fid), s.image.behaviour?.emptyVerifyAnswersSuccessWhenVerified == true {
                return StatusWord.success.bytes
            }
            // A blocked key: real cards answer 63 C0 (myna-card); 69 84 is an option.
            if record.remaining == 0, s.image.behaviour?.blockedEmptyVerifyAnswers6984 == true {
                return StatusWord.referenceDataNotUsable.bytes
            }
            return StatusWord.verificationFailed(triesLeft: record.remaining).bytes
        }
        if record.remaining == 0 { return StatusWord.referenceDataNotUsable.bytes }
        if CardBuilder.pinDigest(salt: record.salt, pin: c.data) == record.digest {
            s.image.applications[app].pins[index].remaining = record.maxTries
            s.verified.insert(fid)
            return StatusWord.success.bytes
        }
        let left = s.faults.endlessTries ? record.remaining : record.remaining - 1
        s.image.applications[app].pins[index].remaining = left
        s.verified.remove(fid)
        return StatusWord.verificationFailed(triesLeft: left).bytes
    }

    private static func computeSignature(_ c: CommandAPDU, _ s: inout State) -> [UInt8] {
        if c.p1 == 0x00, c.p2 == 0x00 { return signChallenge(c, &s) }
        guard c.p1 == 0x00, c.p2 == 0x80 else { return StatusWord.incorrectParameters.bytes }
        guard let app = s.currentApplication, let fid = s.currentFile,
            let key = s.image.applications[app].keys.first(where: { $0.fid == fid }),
            let signer = s.keys[fid]
        else { return StatusWord.conditionsNotSatisfied.bytes }
        guard s.verified.contains(key.pinFID) else { return StatusWord.securityStatusNotSatisfied.bytes }
        if s.faults.failAuthorisedSignatures { return StatusWord.noPreciseDiagnosis.bytes }
        guard !c.data.isEmpty, var signature = signer.sign(c.data) else {
            return StatusWord.incorrectData.bytes
        }
        if s.faults.tamperSignature { signature[signature.count / 2] ^= 0x01 }
        return signature + StatusWord.success.bytes
    }
}

extension SimulatedCard {
    /// `80 2A 00 00`: the AP's default key (the chip's own) signs a challenge (reference 13.2).
    /// myna-card says no credential is needed, yet opens one first; the simulator takes the harder
    /// line and wants a key of the AP verified.
    fileprivate static func signChallenge(_ c: CommandAPDU, _ s: inout State) -> [UInt8] {
        guard let app = s.currentApplication, let signer = s.defaultKeys[app] else {
            return StatusWord.conditionsNotSatisfied.bytes
        }
        guard !s.verified.isEmpty else { return StatusWord.securityStatusNotSatisfied.bytes }
        guard !c.data.isEmpty, let signature = signer.sign(c.data) else { return StatusWord.incorrectData.bytes }
        return signature + StatusWord.success.bytes
    }
}

extension StatusWord {
    var bytes: [UInt8] { [sw1, sw2] }
}
