import Crypto
import ErrorCodes
import FoundationEssentials
import ISO7816
import JPKIAPI
import Logging
import MyNumberCard
import OneShot
import Synchronization

/// One reader and the card in it.
///
/// On insertion it gives the card a fresh random `cardId`, reads the card summary once and
/// serves status from that cache (`readAt`); `refresh` reads again. A PIN operation runs on the
/// card in one transaction (guard, VERIFY, work, reset; see `PINOperations.swift` in the card
/// layer) and updates only the counter its VERIFY answered. Card I/O happens while the actor is
/// suspended, so status requests never wait behind it. PIN operations are serialised per reader,
/// and each names the insertion it is meant for: a `cardId` that is not the current card's is
/// refused before anything reaches the card.
///
/// Insertion and removal are handled in the order they happen and never wait for the card: the
/// read runs in a task of its own, a removal cancels it, and a connection is closed in the
/// background (a PC/SC call stuck behind another program must not hold up the reader's events).
/// Every request waits for the card at most `cardTimeout`, then answers `card_busy`.
public actor ReaderSession {
    public nonisolated let id: String
    public nonisolated let name: String
    private let source: any CardSource
    let events: EventBus
    let logger: Logger
    let pinOperations = AsyncLock()
    let cardTimeout: Duration
    /// Checks certificate chains against the trust anchors.
    let validator: ChainValidator
    /// The CA keys of the genuine-card check.
    let cvcAuthorities: CVCAuthorities
    let metrics: DaemonMetrics

    /// Where the view goes after every change of the state below.
    let board: ReaderViewBoard
    /// The card on the reader: one value, so each change posts one view of one card.
    private var state: CardState = .empty {
        didSet { postView() }
    }
    /// The read of a counter after `outcome_unknown` (``followCounter(_:card:insertion:)``).
    var counterFollower: Task<Void, Never>?
    /// The current card, once its connection is open.
    var card: MyNumberCard? { state.card }
    /// What the last read found, while it is shown.
    private var snapshot: Snapshot? { state.snapshot }
    /// Whether this reader carries extended-length APDUs, as the last card found out.
    private var extendedLength: ExtendedLengthSupport?
    /// Bumped on every insertion and removal, so a read of a card that left is discarded.
    private(set) var generation = 0
    /// The read started by the current insertion.
    private var readTask: Task<Void, Never>?
    /// Set when a power-cycle check found that this reader does not power the card down. Kept
    /// across insertions, for as long as the reader is plugged in and jpkid runs.
    private(set) var unsafe: ReaderUnsafeView? {
        didSet { postView() }
    }

    func setUnsafe(_ view: ReaderUnsafeView) { unsafe = view }

    struct Snapshot {
        var summary: CardSummary
        var certificates: [CertificateSlot: CertificateInfo]
        var readAt: Date
        /// Each certificate's trust, computed once when the card is read.
        var trust: [CertificateSlot: TrustCode] = [:]

        /// The summary with these PIN states in place of the cached ones.
        mutating func update(_ statuses: [PINStatus]) {
            let pins = summary.pins.map { old in statuses.first { $0.kind == old.kind } ?? old }
            summary = CardSummary(
                kind: summary.kind, tokenLabel: summary.tokenLabel, certificates: summary.certificates, pins: pins)
        }
    }

    init(
        name: String, source: any CardSource, events: EventBus, logger: Logger,
        validator: ChainValidator = .init(anchors: .none), cardTimeout: Duration = .seconds(10),
        board: ReaderViewBoard = ReaderViewBoard(), metrics: DaemonMetrics = DaemonMetrics(),
        cvcAuthorities: CVCAuthorities = .builtIn
    ) {
        self.board = board
        self.validator = validator
        self.cvcAuthorities = cvcAuthorities
        self.metrics = metrics
        self.id = Self.id(for: name)
        self.name = name
        self.source = source
        self.events = events
        self.cardTimeout = cardTimeout
        var logger = logger
        logger[metadataKey: "reader"] = "\(Self.id(for: name))"
        self.logger = logger
    }

    /// A short id stable for a reader name: `r` and six hex digits of its SHA-256.
    public static func id(for name: String) -> String {
        "r" + SHA256.hash(data: Data(name.utf8)).prefix(3).compactHex.lowercased()
    }

    public var hasCard: Bool { state.readerState != .empty }

    // MARK: - Card presence

    /// A card was placed on the reader: a new insertion, read in the background.
    func cardInserted(atr: [UInt8]) {
        generation += 1
        let current = generation
        readTask?.cancel()
        let old = state.insertion?.link
        let cardId = Self.newCardID()
        state = .reading(Insertion(cardId: cardId, atr: atr), lastError: nil)
        close(old)
        metrics.cardInserted()
        events.publish(EventView(type: "card-inserted", reader: id, readerName: name, cardId: cardId))
        logger.info("card inserted", metadata: ["atr": "\(atr.hexString)"])
        readTask = Task { await self.connectAndRead(generation: current) }
    }

    private func connectAndRead(generation current: Int) async {
        let started = ContinuousClock.now
        do {
            try await bounded {
                let connection = try await self.source.connect(reader: self.name)
                try await self.adopt(connection, generation: current)
                do {
                    try await self.readCard(generation: current)
                } catch CardError.unexpectedStatus(_, .noPreciseDiagnosis) {
                    // 6F 00 twice: a card that just came up may answer so. Power it up afresh and
                    // read once more; only then is it a card error.
                    guard let card = await self.card else { throw APIError.noCard }
                    try await card.powerCycle()
                    try await self.readCard(generation: current)
                }
            }
            metrics.cardRead(current == generation ? nil : APIError.noCard, since: started)
        } catch {
            // A read the card's removal (or a new insertion) cut short counts as the card gone,
            // not as a card error: pulling a card early is not a fault to alert on.
            metrics.cardRead(current == generation ? error : APIError.noCard, since: started)
            guard current == generation else { return }
            fail(error)
        }
    }

    /// Takes a new connection for insertion `current`, or closes it when the card left meanwhile.
    private func adopt(_ connection: any CardConnection, generation current: Int) throws {
        guard current == generation, !Task.isCancelled else {
            Task.detached { await connection.close() }
            throw CancellationError()
        }
        let card = MyNumberCard(
            transport: CountingTransport(connection.transport, metrics: metrics),
            options: .init(extendedLength: extendedLength))
        state.updateInsertion { $0.link = Link(connection: connection, card: card) }
    }

    /// 24 hex digits from the system's cryptographic random source.
    static func newCardID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<12).map { _ in UInt8.random(in: 0...255, using: &generator) }.compactHex.lowercased()
    }

    /// The card left the reader.
    func cardRemoved() {
        generation += 1
        readTask?.cancel()
        readTask = nil
        counterFollower?.cancel()
        counterFollower = nil
        let hadCard = state.readerState != .empty
        let removed = state.insertion
        state = .empty
        close(removed?.link)
        if hadCard {
            events.publish(EventView(type: "card-removed", reader: id, readerName: name, cardId: removed?.cardId))
            logger.info("card removed")
        }
    }

    func readerRemoved() {
        cardRemoved()
    }

    /// Closes a connection that the state no longer holds, in the background.
    private func close(_ link: Link?) {
        if let connection = link?.connection { Task.detached { await connection.close() } }
    }

    /// Runs `body` for at most `cardTimeout`: then the caller gets `card_busy` at once, and
    /// `body` is cancelled. A cancelled caller cancels `body`.
    ///
    /// The deadline covers waiting for the card, never a PIN on its way: once `body` has handed a
    /// PIN to the card (``PINDispatch``), the caller gets the card's answer, never `card_busy` or
    /// `cancelled`. `body` is still cancelled at the deadline, so it stops after that VERIFY, and
    /// its transmit is waited for up to one more `cardTimeout`; a transmit that hangs beyond
    /// answers `outcome_unknown` (`kind`: the PIN in flight), and `body` goes on in the
    /// background. The commit and the deadline decide atomically, so neither answer can cross
    /// the other.
    func bounded<T: Sendable>(
        pin kind: PINKind? = nil, _ body: @Sendable @escaping () async throws -> T
    ) async throws -> T {
        let gate = DispatchGate()
        let work = Task {
            try await PINDispatch.$gate.withValue(PINDispatch.Gate { gate.commit() }) { try await body() }
        }
        let timeout = cardTimeout
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                let answer = FirstAnswer(continuation)
                let timer = Task {
                    try? await Task.sleep(for: timeout)
                    guard !Task.isCancelled else { return }
                    work.cancel()
                    guard gate.abandon() else {
                        // A PIN is on its way: wait for the card's answer, within a bound of its own.
                        try? await Task.sleep(for: timeout)
                        guard !Task.isCancelled else { return }
                        answer.give(.failure(kind.map { APIError.outcomeUnknown($0) } ?? APIError.cardBusy))
                        return
                    }
                    answer.give(.failure(APIError.cardBusy))
                }
                Task {
                    answer.give(await work.result)
                    // Done in time: the timer (which holds `work` and its result) goes now.
                    timer.cancel()
                }
            }
        } onCancel: {
            // The client left: nothing more is sent, but a PIN already out is answered by the card.
            work.cancel()
        }
    }

    private func readCard(generation current: Int) async throws {
        guard let card else { throw APIError.noCard }
        // A re-read of a card already read keeps serving it meanwhile (and PIN operations wait
        // for the read under the same lock, so neither overwrites the other's counters).
        if case .failed(let insertion, let error, nil) = state { state = .reading(insertion, lastError: error) }
        let summary = try await card.readSummary()
        let trust = await validator.evaluate(card: summary.certificates)
        guard current == generation else { return }
        extendedLength = card.extendedLength
        var certificates: [CertificateSlot: CertificateInfo] = [:]
        for (slot, der) in summary.certificates {
            certificates[slot] = try CertificateInfo(der: der)
        }
        guard let insertion = state.insertion else { return }
        state = .read(
            insertion, Snapshot(summary: summary, certificates: certificates, readAt: Date(), trust: trust))
        events.publish(
            EventView(
                type: "card-ready", reader: id, readerName: name, kind: summary.kind.code, cardId: insertion.cardId))
        logger.info(
            "card read",
            metadata: [
                "kind": "\(summary.kind.code)",
                "pins": "\(summary.pins.map { "\($0.kind.rawValue)=\($0.remaining.map(String.init) ?? "-")" })",
            ])
    }

    private func fail(_ error: any Error) {
        let api = APIError.from(error)
        if api.code == .cardRemoved || api.code == .noCard {
            // The card is gone before the monitor said so: its removal then tells nothing more.
            let gone = state.insertion?.link
            state = .empty
            close(gone)
        } else if let insertion = state.insertion {
            state = .failed(insertion, api.detail, state.snapshot)
        }
        logger.warning("card read failed", metadata: ["code": "\(api.code)"])
    }

    // MARK: - Views

    public func view(now: Date = Date()) -> ReaderView {
        ReaderView(
            id: id, name: name, state: state.readerState, card: cardView(now: now), error: state.lastError,
            unsafe: unsafe)
    }

    /// Puts this reader's current view on the board that `GET /v1/readers` serves from.
    func postView() {
        let now = Date()
        board.update(view(now: now), from: ObjectIdentifier(self), madeAt: now)
    }

    public var readerState: ReaderState { state.readerState }

    private func cardView(now: Date) -> CardView? {
        guard let insertion = state.insertion else { return nil }
        guard let snapshot else {
            return CardView(
                cardId: insertion.cardId, kind: .unknown, atr: insertion.atr.hexString, tokenLabel: nil, readAt: nil,
                certificates: [:], pins: [:])
        }
        var certificates: [CertificateView.Slot: CertificateView] = [:]
        for (slot, info) in snapshot.certificates {
            certificates[.init(slot)] = CertificateView(info, now: now).with(trust: snapshot.trust[slot])
        }
        var pins: [PINView.Kind: PINView] = [:]
        for pin in snapshot.summary.pins { pins[.init(pin.kind)] = PINView(pin) }
        return CardView(
            cardId: insertion.cardId, kind: .init(snapshot.summary.kind), atr: insertion.atr.hexString,
            tokenLabel: snapshot.summary.tokenLabel,
            readAt: snapshot.readAt, certificates: certificates, pins: pins)
    }

    /// Reads the whole card again.
    public func refresh() async throws -> ReaderView {
        guard state.readerState != .empty else { throw APIError.noCard }
        let current = generation
        let started = ContinuousClock.now
        do {
            try await bounded {
                try await self.pinOperations.lock()
                defer { self.pinOperations.unlock() }
                try await self.readCard(generation: current)
            }
            metrics.cardRead(current == generation ? nil : APIError.noCard, since: started)
        } catch {
            metrics.cardRead(current == generation ? error : APIError.noCard, since: started)
            let api = APIError.from(error)
            // A removal or new insertion meanwhile has its own state: do not overwrite it. A card
            // another program holds, or a cancelled request, says nothing about the card: keep
            // what was read.
            if current == generation, ![ErrorCode.cardBusy, .cancelled, .timeout].contains(api.code) || snapshot == nil
            {
                fail(error)
            }
            throw api
        }
        return view()
    }

    /// DER of a PIN-free certificate from the cache.
    public func certificate(_ slot: CertificateSlot) throws -> CertificateInfo {
        guard state.readerState != .empty else { throw APIError.noCard }
        guard let snapshot else { throw APIError(.cardNotReady, "the card is still being read", status: .conflict) }
        guard let info = snapshot.certificates[slot] else {
            throw APIError(.certificateNotFound, "the card has no \(slot.rawValue) certificate", status: .notFound)
        }
        return info
    }

    // MARK: - PIN operations

    /// Checks the PIN's format and the request's `cardId`, then runs `body` (one card
    /// transaction: guard, one VERIFY, the work, a reset) and records the counter the card
    /// answered. Nothing reaches the card when the format or the `cardId` is wrong, or when the
    /// request is cancelled (its client left) before the VERIFY.
    ///
    /// `insertion` names the insertion whose cached data the caller read before this call (for
    /// example the auth certificate a signature is checked against): another card by then is
    /// `card_changed`, with or without a `cardId`.
    func withPIN<T: Sendable>(
        _ kind: PINKind, _ value: String, cardId expected: String?, insertion: Int? = nil,
        _ body: @escaping @Sendable (MyNumberCard, PIN) async throws -> T
    ) async throws -> T {
        try await withPIN(kind, making: { try PIN(value, for: kind) }, cardId: expected, insertion: insertion, body)
    }

    /// ``withPIN(_:_:cardId:insertion:_:)`` with a PIN built by `make` (for example 照合番号B from
    /// its parts), whose format errors count like any PIN's.
    func withPIN<T: Sendable>(
        _ kind: PINKind, making make: () throws -> PIN, cardId expected: String?, insertion: Int? = nil,
        _ body: @escaping @Sendable (MyNumberCard, PIN) async throws -> T
    ) async throws -> T {
        if unsafe != nil { throw APIError.readerUnsafe }
        let pin = try metrics.checkingFormat(kind, make)
        return try await bounded(pin: kind) {
            try await self.lockedPINOperation(kind, pin, cardId: expected, insertion: insertion, body)
        }
    }

    /// Card I/O outside a PIN operation, under the same lock and time bound.
    func serialisedCardAccess<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await bounded {
            try await self.pinOperations.lock()
            defer { self.pinOperations.unlock() }
            return try await body()
        }
    }

    private func lockedPINOperation<T: Sendable>(
        _ kind: PINKind, _ pin: PIN, cardId expected: String?, insertion expectedInsertion: Int?,
        _ body: @Sendable (MyNumberCard, PIN) async throws -> T
    ) async throws -> T {
        try await pinOperations.lock()
        defer { pinOperations.unlock() }
        guard let card, state.readerState == .ready, let current = state.insertion?.cardId else {
            throw state.readerState == .empty || card == nil
                ? APIError.noCard
                : APIError(.cardNotReady, "the card is \(state.readerState.rawValue)", status: .conflict)
        }
        if let expected, expected != current { throw APIError.cardChanged }
        if let expectedInsertion, expectedInsertion != generation { throw APIError.cardChanged }
        // Marked while this request waited: nothing goes to the card on this reader any more.
        if unsafe != nil { throw APIError.readerUnsafe }
        let insertion = generation
        _ = card.takePowerCycleCheck()
        /// A right PIN: its counter is full again, whatever the caller gets.
        func rightPIN() {
            metrics.pinVerification(kind, .verified)
            record(PINStatus(kind: kind, state: kind.stateAfterRightPIN), insertion: insertion)
            events.publish(
                EventView(
                    type: "pin-verified", reader: id, pin: kind.rawValue, remaining: kind.knownMaxTries,
                    cardId: current))
            logger.info("pin verified", metadata: ["pin": "\(kind.rawValue)"])
        }
        do {
            let result = try await body(card, pin)
            powerCycleChecked(card.takePowerCycleCheck(), kind: kind)
            rightPIN()
            return result
        } catch CardError.stoppedAfterVerify(let stopped) {
            // The PIN was right, the caller gave up: counted and told like a success, while the
            // caller still gets the error.
            powerCycleChecked(card.takePowerCycleCheck(), kind: kind)
            rightPIN()
            throw CardError.stoppedAfterVerify(stopped)
        } catch {
            powerCycleChecked(card.takePowerCycleCheck(), kind: kind)
            metrics.pinOperationFailed(kind, error, wasBlocked: snapshot?.summary.pin(kind)?.isBlocked ?? false)
            switch error {
            case CardError.wrongPIN(_, let left):
                record(PINStatus(kind: kind, state: .remaining(left)), insertion: insertion)
                events.publish(
                    EventView(type: "pin-failed", reader: id, pin: kind.rawValue, remaining: left, cardId: current))
                logger.notice("wrong pin", metadata: ["pin": "\(kind.rawValue)", "remaining": "\(left)"])
            case CardError.pinBlocked:
                let wasBlocked = snapshot?.summary.pin(kind)?.isBlocked ?? false
                record(PINStatus(kind: kind, state: .blocked), insertion: insertion)
                if !wasBlocked {
                    events.publish(
                        EventView(type: "pin-blocked", reader: id, pin: kind.rawValue, remaining: 0, cardId: current))
                }
                logger.warning("pin blocked", metadata: ["pin": "\(kind.rawValue)"])
            case CardError.finalAttempt:
                record(PINStatus(kind: kind, state: .remaining(1)), insertion: insertion)
                logger.notice("final try refused", metadata: ["pin": "\(kind.rawValue)"])
            case CardError.outcomeUnknown:
                logger.warning("pin sent, outcome unknown", metadata: ["pin": "\(kind.rawValue)"])
                followCounter(kind, card: card, insertion: insertion)
            default:
                logger.warning(
                    "pin operation failed",
                    metadata: ["pin": "\(kind.rawValue)", "code": "\(APIError.from(error).code)"])
            }
            // The card's own error goes on as it is; the API adds `readerUnsafe` (OperationReport).
            throw error
        }
    }

    /// Puts a counter the card just told into the cached summary, unless the card changed since.
    func record(_ status: PINStatus, insertion: Int) {
        guard insertion == generation else { return }
        state.updateSnapshot { $0.update([status]) }
    }

    func pinView(_ kind: PINKind) -> PINView {
        snapshot?.summary.pin(kind).map(PINView.init) ?? PINView(PINStatus(kind: kind, state: .notAvailable))
    }

    public func verify(
        _ kind: PINKind, pin: String, cardId: String? = nil, confirmFinalAttempt: Bool
    ) async throws -> VerifyResponse {
        try await withPIN(kind, making: { try CardDataCredential.pin(pin, for: kind) }, cardId: cardId) { card, pin in
            try await card.verify(pin, confirmFinalAttempt: confirmFinalAttempt)
        }
        await rereadCounter(kind)
        return VerifyResponse(result: "verified", pin: pinView(kind))
    }

    public func sign(
        key: SigningKey, pin: String, digestInfo: DigestInfo, cardId: String? = nil, confirmFinalAttempt: Bool,
        insertion: Int? = nil
    ) async throws -> SignResponse {
        // The cached certificate must be the signing card's: the operation checks the insertion.
        let insertion = insertion ?? generation
        let cached = key == .auth ? snapshot?.certificates[.auth]?.der : nil
        let (signature, certificate) = try await withPIN(key.pinKind, pin, cardId: cardId, insertion: insertion) {
            card, pin in
            try await card.sign(
                digestInfo, with: key, pin: pin, confirmFinalAttempt: confirmFinalAttempt,
                readingCertificate: cached == nil)
        }
        guard let der = certificate ?? cached else { throw CardError.certificateNotIssued }
        let info = try CertificateInfo(der: der)
        try SignatureCheck.require(signature, for: digestInfo, certificate: der)
        metrics.signature(key)
        return SignResponse(
            signature: Data(signature).base64EncodedString(), digestAlgorithm: digestInfo.algorithm.rawValue,
            certificate: info.pem)
    }

    public func signCertificate(
        pin: String, cardId: String? = nil, confirmFinalAttempt: Bool
    ) async throws -> SignCertificateResponse {
        let der = try await withPIN(.sign, pin, cardId: cardId) { card, pin in
            try await card.readSignCertificate(pin: pin, confirmFinalAttempt: confirmFinalAttempt)
        }
        let info = try CertificateInfo(der: der)
        let holder = try SignCertificatePersonalData(certificateDER: der)
        return SignCertificateResponse(
            certificate: info.pem, details: CertificateView(info, now: Date()),
            holder: .init(
                name: holder.name, address: holder.address, birthDate: holder.birthDate?.description,
                sex: holder.sex))
    }
}

// MARK: - Trust

extension ReaderSession {
    /// The outcome of a kiosk login: the result and trust code only, never the certificate.
    func logAuthentication(authenticated: Bool, trust: TrustCode) {
        logger.notice("authentication", metadata: ["authenticated": "\(authenticated)", "trust": "\(trust.rawValue)"])
    }
}
