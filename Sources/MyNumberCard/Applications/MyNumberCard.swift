import ISO7816
import Synchronization

/// A My Number card behind any ``CardTransport``: detection, certificates, PIN counters, VERIFY
/// and signing.
///
/// Every public operation takes the card exclusively (its APDUs never interleave with another
/// operation's, in this process or, through the transport's transaction, in another) and
/// SELECTs the application it needs first. PINs are checked for format when a ``PIN`` is made,
/// VERIFY with a PIN is sent at most once per call and never retried, and counters are read with
/// the empty VERIFY only.
public final class MyNumberCard: Sendable {
    /// How files are read.
    public struct Options: Sendable {
        /// Bytes asked for per READ BINARY. 256 is the short-APDU maximum and safe on every reader;
        /// larger values are used only when the transport supports extended length.
        public var readChunkSize: Int
        /// Try short-EF-identifier forms of READ BINARY and the empty VERIFY first (one APDU
        /// instead of two), falling back to SELECT when the card refuses them.
        public var useShortFileIdentifiers: Bool

        public init(readChunkSize: Int = 256, useShortFileIdentifiers: Bool = true) {
            self.readChunkSize = readChunkSize
            self.useShortFileIdentifiers = useShortFileIdentifiers
        }
    }

    public let transport: any CardTransport
    public let options: Options
    private let lock = AsyncLock()
    /// What this card answered to the short-identifier forms: nil until tried.
    let shortForms = Mutex<(read: Bool?, verify: Bool?)>((nil, nil))

    public init(transport: any CardTransport, options: Options = Options()) {
        self.transport = transport
        self.options = options
    }

    /// Runs `body` with the card to itself: in-process lock, then the transport's transaction.
    func exclusive<T: Sendable>(_ body: @Sendable @escaping () async throws -> T) async throws -> T {
        try await lock.withLock {
            try await transport.withTransaction(body)
        }
    }

    /// Runs transport-level work (for example a card reset) with the card to itself, so it
    /// never cuts into another operation's APDUs.
    public func exclusively<T: Sendable>(_ body: @Sendable @escaping () async throws -> T) async throws -> T {
        try await lock.withLock { try await body() }
    }

    // MARK: - Public operations

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

    /// Reads all four PIN counters, selecting each application once.
    public func pinStatuses() async throws -> [PINStatus] {
        try await exclusive { try await self.allPINStatusesUnlocked(jpkiSelected: false) }
    }

    /// Sends VERIFY with `pin` once. A wrong PIN is an outcome, not an error.
    public func verify(_ pin: PIN) async throws -> VerifyOutcome {
        try await exclusive {
            try await self.select(pin.kind.application)
            return try await self.verifyInSelectedApplication(pin)
        }
    }

    /// Reads the digital signature certificate after verifying the sign PIN.
    /// Throws ``CardError/certificateNotIssued`` when the card carries none.
    public func readSignCertificate(pin: PIN) async throws -> [UInt8] {
        guard pin.kind == .sign else {
            throw CardError.pinFormat(pin.kind, "the signature certificate needs the digital signature PIN")
        }
        return try await exclusive {
            try await self.select(.jpki)
            try await self.requireVerified(pin)
            do {
                return try await self.readDERFile(JPKIFile.signCertificate)
            } catch CardError.fileNotFound {
                throw CardError.certificateNotIssued
            }
        }
    }

    /// Verifies the key's PIN, then signs the DigestInfo with the card's key. Returns the
    /// 256-byte PKCS#1 v1.5 signature. A wrong PIN throws ``CardError/wrongPIN(_:triesLeft:)``.
    public func sign(_ digestInfo: DigestInfo, with key: SigningKey, pin: PIN) async throws -> [UInt8] {
        try await sign(digestInfo, with: key, pin: pin, readingCertificate: false).signature
    }

    /// Like ``sign(_:with:pin:)``, and reads the key's certificate in the same verified session
    /// (the signature certificate can only be read after its PIN), so the PIN is sent once.
    public func sign(_ digestInfo: DigestInfo, with key: SigningKey, pin: PIN, readingCertificate: Bool) async throws
        -> (signature: [UInt8], certificate: [UInt8]?)
    {
        guard pin.kind == key.pinKind else {
            throw CardError.pinFormat(pin.kind, "the \(key.rawValue) key needs the \(key.pinKind.displayName)")
        }
        return try await exclusive {
            try await self.select(.jpki)
            try await self.requireVerified(pin)
            let certificate = readingCertificate ? try await self.readDERFile(key.certificateSlot.fileID) : nil
            try await self.selectFile(key.fileID)
            let response = try await self.transport.exchange(CardCommands.computeSignature(digestInfo))
            switch response.statusWord.meaning {
            case .success:
                guard response.data.count == 256 else {
                    throw CardError.malformedResponse(
                        "a signature of \(response.data.count) bytes, expected 256 (RSA-2048)")
                }
                return (response.data, certificate)
            case .securityStatusNotSatisfied:
                throw CardError.pinRequired("signing with the \(key.rawValue) key")
            case .fileNotFound:
                throw CardError.certificateNotIssued
            default:
                throw CardError.unexpectedStatus(operation: "COMPUTE DIGITAL SIGNATURE", response.statusWord)
            }
        }
    }

    /// Everything that can be read without a PIN, in one exclusive pass: card kind, token label,
    /// the three free certificates and all four PIN counters.
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

    private func detectUnlocked() async throws -> (kind: CardKind, tokenLabel: String?) {
        do {
            try await select(.jpki)
        } catch CardError.applicationNotFound {
            return (.noJPKIApplication, nil)
        } catch CardError.unexpectedStatus {
            return (.noJPKIApplication, nil)
        }
        let raw: [UInt8]
        do {
            raw = try await readFile(JPKIFile.tokenInfo, length: .fixed(JPKIFile.tokenInfoLength))
        } catch let error as CardError where error.code != "malformed_response" {
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

    func verifyInSelectedApplication(_ pin: PIN) async throws -> VerifyOutcome {
        do {
            try await selectFile(pin.kind.fileID)
        } catch CardError.fileNotFound {
            throw CardError.pinNotAvailable(pin.kind)
        }
        // Sent exactly once: `exchange` never resends a VERIFY, and nothing here loops.
        let response = try await transport.exchange(CardCommands.verify(pin))
        switch response.statusWord.meaning {
        case .success: return .verified
        case .verificationFailed(0): return .blocked
        case .verificationFailed(let left): return .wrongPIN(triesLeft: left)
        case .referenceDataNotUsable, .authenticationMethodBlocked: return .blocked
        case .referencedDataNotFound: throw CardError.pinNotAvailable(pin.kind)
        default: throw CardError.unexpectedStatus(operation: "VERIFY \(pin.kind.rawValue)", response.statusWord)
        }
    }

    private func requireVerified(_ pin: PIN) async throws {
        switch try await verifyInSelectedApplication(pin) {
        case .verified: return
        case .wrongPIN(let left): throw CardError.wrongPIN(pin.kind, triesLeft: left)
        case .blocked: throw CardError.pinBlocked(pin.kind)
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
