import ISO7816
import Synchronization

/// A My Number card behind any ``CardTransport``: detection, certificates, PIN counters, VERIFY
/// and signing.
///
/// Every public operation takes the card exclusively (its APDUs never interleave with another
/// operation's, in this process or, through the transport's transaction, in another) and
/// SELECTs the application it needs first. An operation that sends a PIN runs the final-try
/// guard and its VERIFY in the same transaction and ends it with a checked power cycle (see
/// `PINOperations.swift`). PINs are checked for format when a ``PIN`` is made, VERIFY with a PIN
/// is sent at most once per call and never retried, and counters are read with the empty VERIFY
/// only.
public final class MyNumberCard: Sendable {
    /// How files are read.
    public struct Options: Sendable {
        /// Try short-EF-identifier forms of READ BINARY and the empty VERIFY first (one APDU
        /// instead of two), falling back to SELECT when the card refuses them.
        public var useShortFileIdentifiers: Bool
        /// What is already known about extended-length APDUs on this reader (for example learnt
        /// from an earlier card); nil asks the transport.
        public var extendedLength: ExtendedLengthSupport?

        public init(useShortFileIdentifiers: Bool = true, extendedLength: ExtendedLengthSupport? = nil) {
            self.useShortFileIdentifiers = useShortFileIdentifiers
            self.extendedLength = extendedLength
        }
    }

    public let transport: any CardTransport
    public let options: Options
    private let lock = AsyncLock()
    /// What this card answered to the short-identifier forms: nil until tried.
    let shortForms = Mutex<(read: Bool?, verify: Bool?)>((nil, nil))
    /// Extended length as known now: from the options or the transport, then as learnt.
    let extended: Mutex<ExtendedLengthSupport>
    /// What the check after the last PIN session's power cycle found (``takePowerCycleCheck()``).
    let lastPowerCycleCheck = Mutex<PowerCycleCheck?>(nil)

    public init(transport: any CardTransport, options: Options = Options()) {
        self.transport = transport
        self.options = options
        self.extended = Mutex(options.extendedLength ?? transport.extendedLength)
    }

    /// Whether extended-length READ BINARY works here, as far as this card has shown: pass it
    /// to the next card on the same reader as ``Options/extendedLength``.
    public var extendedLength: ExtendedLengthSupport { extended.withLock { $0 } }

    /// Runs `body` with the card to itself: in-process lock, then the transport's transaction,
    /// ended as `ending` says. Waiting for the lock ends with `CancellationError` when the
    /// calling task is cancelled.
    func exclusive<T: Sendable>(
        ending: TransactionEnd = .leaveCard, _ body: @Sendable @escaping () async throws -> T
    ) async throws -> T {
        try await lock.withLock {
            try await transport.withTransaction(ending: ending, body)
        }
    }

    /// Power-cycles the card (in a transaction of its own), for example after a read that the
    /// card answered with `6F 00` twice: a card that just came up may answer so.
    public func powerCycle() async throws {
        try await exclusive { try await self.transport.powerCycle() }
    }

    // MARK: - Operations without a PIN

    /// Selects the JPKI AP and reads the token label.
    public func detect() async throws -> (kind: CardKind, tokenLabel: String?) {
        try await exclusive { try await self.detectUnlocked() }
    }

    /// Reads a certificate that needs no PIN (auth, auth CA, sign CA).
    public func readCertificate(_ slot: CertificateSlot) async throws -> [UInt8] {
        guard slot != .sign else { throw CardError.pinRequired("the digital signature certificate") }
        return try await exclusive {
            try await self.select(.jpki)
            return try await self.readDERFile(slot.fileID)
        }
    }

    /// Reads a PIN's retry counter without spending a try.
    public func pinStatus(_ kind: PINKind) async throws -> PINStatus {
        try await exclusive {
            do {
                try await self.select(kind.application)
            } catch CardError.applicationNotFound {
                return PINStatus(kind: kind, state: .notAvailable)
            }
            return try await self.pinStatusInSelectedApplication(kind)
        }
    }

    /// Reads every PIN counter, selecting each application once.
    public func pinStatuses() async throws -> [PINStatus] {
        try await exclusive { try await self.allPINStatusesUnlocked(jpkiSelected: false) }
    }

    /// Everything that can be read without a PIN, in one exclusive pass: card kind, token label,
    /// the three free certificates and every PIN counter.
    public func readSummary() async throws -> CardSummary {
        try await exclusive {
            let (kind, label) = try await self.detectUnlocked()
            guard kind.isSupported else {
                return CardSummary(kind: kind, tokenLabel: label, certificates: [:], pins: [])
            }
            var certificates: [CertificateSlot: [UInt8]] = [:]
            for slot in CertificateSlot.free {
                certificates[slot] = try await self.readDERFile(slot.fileID)
            }
            let pins = try await self.allPINStatusesUnlocked(jpkiSelected: true)
            return CardSummary(kind: kind, tokenLabel: label, certificates: certificates, pins: pins)
        }
    }

    // MARK: - Building blocks (run with the card held)

    /// The card's kind. Only the answers that say so make a card "not JPKI": no JPKI AP
    /// (`6A 82`, `6A 81`) or no token file; any other status word is a card error
    /// (`card_error`, with the status word), not a card kind.
    private func detectUnlocked() async throws -> (kind: CardKind, tokenLabel: String?) {
        do {
            try await select(.jpki)
        } catch CardError.applicationNotFound {
            return (.noJPKIApplication, nil)
        }
        let raw: [UInt8]
        do {
            raw = try await readFile(JPKIFile.tokenInfo, length: .fixed(JPKIFile.tokenLabelLength))
        } catch CardError.fileNotFound {
            return (.nonJPKI, nil)
        }
        let label = String(decoding: raw.prefix { $0 != 0 && $0 != 0xFF }, as: UTF8.self)
            .trimmingTrailingSpaces
        switch label {
        case TokenLabel.myNumberCard: return (.myNumberCard, label)
        case TokenLabel.jukiCard: return (.jukiCard, label)
        case let other where other.hasPrefix("JPKIAP"): return (.otherJPKIToken(other), label)
        default: return (.nonJPKI, label.isEmpty ? nil : label)
        }
    }

    func select(_ application: CardApplication) async throws {
        let response = try await transport.exchange(CardCommands.select(application))
        switch response.statusWord.meaning {
        case .success: return
        case .fileNotFound, .functionNotSupported: throw CardError.applicationNotFound(application)
        default: throw CardError.unexpectedStatus(operation: "SELECT \(application.displayName)", response.statusWord)
        }
    }

    func selectFile(_ fid: UInt16) async throws {
        let response = try await transport.exchange(CardCommands.selectFile(fid))
        switch response.statusWord.meaning {
        case .success: return
        case .fileNotFound: throw CardError.fileNotFound(fid)
        default: throw CardError.unexpectedStatus(operation: "SELECT EF \(fid.hex4)", response.statusWord)
        }
    }

    private func allPINStatusesUnlocked(jpkiSelected: Bool) async throws -> [PINStatus] {
        var statuses: [PINStatus] = []
        var selected: CardApplication? = jpkiSelected ? .jpki : nil
        for kind in PINKind.allCases {
            if selected != kind.application {
                do {
                    try await select(kind.application)
                    selected = kind.application
                } catch CardError.applicationNotFound {
                    statuses.append(PINStatus(kind: kind, state: .notAvailable))
                    continue
                }
            }
            statuses.append(try await pinStatusInSelectedApplication(kind))
        }
        return statuses
    }

    func pinStatusInSelectedApplication(_ kind: PINKind) async throws -> PINStatus {
        let sfi = UInt8(kind.fileID & 0x1F)
        if options.useShortFileIdentifiers, shortForms.withLock({ $0.verify }) != false {
            let response = try await transport.exchange(CardCommands.verifyStatus(shortFileID: sfi))
            if let state = Self.pinState(response.statusWord) {
                shortForms.withLock { $0.verify = true }
                return PINStatus(kind: kind, state: state)
            }
            if response.statusWord.meaning == .fileNotFound, shortForms.withLock({ $0.verify }) == true {
                return PINStatus(kind: kind, state: .notAvailable)
            }
            // 6A 82 from a card that has not yet shown it knows the short form proves nothing.
            if response.statusWord.meaning != .fileNotFound {
                shortForms.withLock { $0.verify = false }
            }
        }
        do {
            try await selectFile(kind.fileID)
        } catch CardError.fileNotFound {
            return PINStatus(kind: kind, state: .notAvailable)
        }
        let response = try await transport.exchange(CardCommands.verifyStatus)
        guard let state = Self.pinState(response.statusWord) else {
            switch response.statusWord.meaning {
            case .referencedDataNotFound, .conditionsNotSatisfied:
                return PINStatus(kind: kind, state: .notAvailable)
            default:
                throw CardError.unexpectedStatus(operation: "VERIFY (status) \(kind.rawValue)", response.statusWord)
            }
        }
        return PINStatus(kind: kind, state: state)
    }

    /// The PIN state an empty VERIFY's status word tells, or nil when it tells none.
    static func pinState(_ sw: StatusWord) -> PINStatus.State? {
        switch sw.meaning {
        case .success: .verified
        case .verificationFailed(0): .blocked
        case .verificationFailed(let left): .remaining(left)
        case .referenceDataNotUsable, .authenticationMethodBlocked: .blocked
        default: nil
        }
    }
}

extension String {
    var trimmingTrailingSpaces: String {
        var s = Substring(self)
        while let last = s.last, last == " " { s = s.dropLast() }
        return String(s)
    }
}
