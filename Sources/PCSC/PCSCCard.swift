import CPCSCLite
import FoundationEssentials
import ISO7816
import Secrets
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A connected card (`SCardConnect`), usable as the card layer's ``CardTransport``.
///
/// Transmits use the negotiated protocol; `61 xx` / `6C xx` of T=0 are completed by the card
/// layer's `exchange`, which never resends a VERIFY. ``withTransaction(ending:_:)`` wraps a
/// multi-APDU operation in `SCardBeginTransaction` / `SCardEndTransaction` so no other PC/SC
/// client's APDUs come between. ``powerCycle()`` power-cycles the card inside the transaction
/// (`SCardReconnect(…, SCARD_UNPOWER_CARD)`; pcscd keeps the transaction across it), so the
/// card layer can check the result before anyone else gets the card; a transaction asked to end
/// ``TransactionEnd/unpowerCard`` that did not do so ends with `SCARD_UNPOWER_CARD`. Nothing here
/// uses `SCARD_SHARE_EXCLUSIVE` (the Sony RC-S300 refuses it).
///
/// A card reset by another client (or by our own reset) makes pcsc-lite answer
/// `SCARD_W_RESET_CARD` once per handle: the next transaction reconnects with
/// `SCARD_LEAVE_CARD` and goes on. A removal (`SCARD_W_REMOVED_CARD`) is final for the handle,
/// so a card swapped under an operation fails it with `card_removed` before any APDU reaches
/// the new card.
///
/// Every call waits at most ``timeout``: a card another program holds in a transaction answers
/// `card_busy`, a call that hangs `timeout`. A transaction begun after its caller gave up is ended
/// at once with `SCARD_LEAVE_CARD` (nothing was sent in it).
public final class PCSCCard: CardTransport, Sendable {
    public let context: PCSCContext
    public let reader: String
    let handle: SCARDHANDLE
    private let activeProtocol: Mutex<PCSCProtocol>
    private let disconnected = Atomic<Bool>(false)
    /// From `SCARD_ATTR_MAXINPUT` where the driver answers it; else found out by the card layer.
    public let extendedLength: ExtendedLengthSupport
    /// The longest any call on this card may keep its caller waiting.
    public let timeout: Duration
    private let pending = PendingCalls()
    /// In the current transaction: whether the card was power-cycled and no PIN sent since.
    private let closedByPowerCycle = Atomic<Bool>(false)

    init(
        context: PCSCContext, handle: SCARDHANDLE, reader: String, protocol: PCSCProtocol,
        extendedLength: ExtendedLengthSupport, timeout: Duration
    ) {
        self.context = context
        self.handle = handle
        self.reader = reader
        self.activeProtocol = Mutex(`protocol`)
        self.extendedLength = extendedLength
        self.timeout = timeout
    }

    /// Runs a call on the context's queue for at most ``timeout`` (see ``PCSCQueue``).
    private func call<T: Sendable>(
        _ operation: String, late: @escaping @Sendable (Result<T, any Error>) -> Void = { _ in },
        _ body: @escaping @Sendable () throws -> T
    ) async throws -> T {
        let timeout = self.timeout
        // While calls hang (a driver that does not answer), do not pile more behind them.
        let pending = self.pending
        guard pending.count.wrappingAdd(1, ordering: .relaxed).newValue <= Self.maxPending else {
            pending.count.wrappingSubtract(1, ordering: .relaxed)
            throw PCSCTimeout.busy(timeout)
        }
        return try await context.queue.run(
            timeout: timeout, expired: { PCSCTimeout.hung(operation, timeout) }, late: late
        ) {
            defer { pending.count.wrappingSubtract(1, ordering: .relaxed) }
            return try body()
        }
    }

    /// Calls queued or running on this card's context at most; beyond, `card_busy` at once.
    static let maxPending = 8

    /// The largest extended APDU with its header: a driver that takes this carries them.
    static let extendedAPDUSize = 4 + 3 + 65_535 + 2

    /// What `SCARD_ATTR_MAXINPUT` tells about extended APDUs (blocking; on the context's queue).
    static func extendedLength(of handle: SCARDHANDLE) -> ExtendedLengthSupport {
        var value: DWORD = 0
        var length = DWORD(MemoryLayout<DWORD>.size)
        let status = withUnsafeMutableBytes(of: &value) { raw in
            SCardGetAttrib(handle, jpkid_attr_maxinput(), raw.baseAddress!.assumingMemoryBound(to: UInt8.self), &length)
        }
        guard status == SCARD_S_SUCCESS, length >= 1 else { return .unknown }
        // The attribute is a DWORD; some drivers fill fewer bytes (little-endian on Linux).
        let size = length >= DWORD(MemoryLayout<DWORD>.size) ? value : value & ((1 << (8 * length)) - 1)
        return size >= DWORD(extendedAPDUSize) ? .supported : .unknown
    }

    public var `protocol`: PCSCProtocol { activeProtocol.withLock { $0 } }

    public func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU {
        let handle = self.handle
        // The encoded command lives in a buffer of its own that is overwritten when the last
        // reference goes (a VERIFY holds the PIN), whenever the queued call finishes with it.
        var encoded = command.encoded()
        let bytes = SecretBytes(wiping: &encoded)
        let proto = self.protocol
        if command.carriesSecret { closedByPowerCycle.store(false, ordering: .sequentiallyConsistent) }
        let response: [UInt8]
        do {
            response = try await transmitRaw(bytes, protocol: proto, handle: handle)
        } catch let error as PCSCError where error.code == .notTransacted {
            // The reader driver lost the card mid-command (vpcd reports a communication error).
            if try await !cardIsPresent() {
                throw PCSCError(status: SCARD_W_REMOVED_CARD, operation: "SCardTransmit")
            }
            throw error
        }
        if response.count < 2, try await !cardIsPresent() {
            // Some drivers (vpcd among them) answer an APDU to a card that just left with an
            // empty response instead of SCARD_W_REMOVED_CARD.
            throw PCSCError(status: SCARD_W_REMOVED_CARD, operation: "SCardTransmit")
        }
        return try ResponseAPDU(bytes: response)
    }

    private func transmitRaw(_ bytes: SecretBytes, protocol proto: PCSCProtocol, handle: SCARDHANDLE) async throws
        -> [UInt8]
    {
        try await call("SCardTransmit") { () throws -> [UInt8] in
            let pci: UnsafePointer<SCARD_IO_REQUEST>
            switch proto {
            case .t0: pci = jpkid_pci_t0()
            case .t1: pci = jpkid_pci_t1()
            default: pci = jpkid_pci_raw()
            }
            var buffer = [UInt8](repeating: 0, count: 65_538)
            var length = DWORD(buffer.count)
            let status = bytes.withBytes {
                SCardTransmit(handle, pci, $0.baseAddress, DWORD($0.count), nil, &buffer, &length)
            }
            // On a connected handle "no card" means the card left: one code for both.
            if status == SCARD_E_NO_SMARTCARD {
                throw PCSCError(status: SCARD_W_REMOVED_CARD, operation: "SCardTransmit")
            }
            try PCSCError.check(status, "SCardTransmit")
            return Array(buffer.prefix(Int(length)))
        }
    }

    /// Whether the reader still holds this card. A driver learns of a removal only on its next
    /// presence poll (pcscd polls every 400 ms; a busy machine may take longer), so this waits
    /// up to `settle` for the reader's state to change. Only failed exchanges pay for it.
    private func cardIsPresent(settle: Duration = .seconds(2)) async throws -> Bool {
        let context = self.context.handle
        let reader = self.reader
        let milliseconds = DWORD(settle.components.seconds * 1000)
        return try await call("SCardGetStatusChange") {
            let name = strdup(reader)!
            defer { free(name) }
            var state = SCARD_READERSTATE()
            state.szReader = UnsafePointer(name)
            state.dwCurrentState = DWORD(SCARD_STATE_UNAWARE)
            var status = SCardGetStatusChange(context, 0, &state, 1)
            if status == SCARD_S_SUCCESS, state.dwEventState & DWORD(SCARD_STATE_PRESENT) != 0 {
                // Present right now: wait for the driver's next poll to change that.
                state.dwCurrentState = state.dwEventState & ~DWORD(SCARD_STATE_CHANGED)
                status = SCardGetStatusChange(context, milliseconds, &state, 1)
            }
            if status == SCARD_E_TIMEOUT { return true }
            if status == SCARD_E_UNKNOWN_READER || status == SCARD_E_READER_UNAVAILABLE { return false }
            try PCSCError.check(status, "SCardGetStatusChange")
            return state.dwEventState & DWORD(SCARD_STATE_PRESENT) != 0
                && state.dwEventState & DWORD(SCARD_STATE_MUTE) == 0
        }
    }

    public func withTransaction<T: Sendable>(ending: TransactionEnd, _ body: @Sendable () async throws -> T)
        async throws -> T
    {
        try await beginTransaction()
        closedByPowerCycle.store(false, ordering: .sequentiallyConsistent)
        let result: Result<T, any Error>
        do {
            result = .success(try await body())
        } catch {
            result = .failure(error)
        }
        await endTransaction(ending)
        return try result.get()
    }

    /// `SCardBeginTransaction`; after a reset (ours or another client's) it reconnects with
    /// `SCARD_LEAVE_CARD` and begins again, at most twice.
    private func beginTransaction() async throws {
        let handle = self.handle
        let timeout = self.timeout
        let pending = self.pending
        for attempt in 0..<3 {
            // Capped like every other call: a hung queue refuses more begins at once.
            guard pending.count.wrappingAdd(1, ordering: .relaxed).newValue <= Self.maxPending else {
                pending.count.wrappingSubtract(1, ordering: .relaxed)
                throw PCSCTimeout.busy(timeout)
            }
            let status = try await context.queue.run(
                timeout: timeout, expired: { PCSCTimeout.busy(timeout) },
                late: { result in
                    // The caller has given up: hand the card back untouched.
                    if case .success(let status) = result, status == SCARD_S_SUCCESS {
                        SCardEndTransaction(handle, DWORD(SCARD_LEAVE_CARD))
                    }
                }
            ) { () -> Int in
                defer { pending.count.wrappingSubtract(1, ordering: .relaxed) }
                return SCardBeginTransaction(handle)
            }
            if status == SCARD_W_RESET_CARD, attempt < 2 {
                try await reconnect()
                continue
            }
            try PCSCError.check(status, "SCardBeginTransaction")
            return
        }
    }

    /// Power-cycles the card inside the current transaction: `SCardReconnect(…, SCARD_UNPOWER_CARD)`
    /// (vpcd sees control bytes `0`, `1`). pcscd 1.9.9 keeps the transaction across it.
    public func powerCycle() async throws {
        let handle = self.handle
        let active = try await call("SCardReconnect") {
            var active: DWORD = 0
            try PCSCError.check(
                SCardReconnect(
                    handle, DWORD(SCARD_SHARE_SHARED), DWORD(SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1),
                    DWORD(SCARD_UNPOWER_CARD), &active),
                "SCardReconnect")
            return active
        }
        activeProtocol.withLock { $0 = PCSCProtocol(rawValue: active) }
        closedByPowerCycle.store(true, ordering: .sequentiallyConsistent)
    }

    public func forgetPowerCycle() {
        closedByPowerCycle.store(false, ordering: .sequentiallyConsistent)
    }

    /// Ends the transaction. For ``TransactionEnd/resetCard`` and ``TransactionEnd/unpowerCard``
    /// a failed end must not leave the card verified: the card is then power-cycled on its own,
    /// or the handle dropped with a power-down.
    private func endTransaction(_ ending: TransactionEnd) async {
        let handle = self.handle
        let disposition: DWORD =
            switch ending {
            case .leaveCard: DWORD(SCARD_LEAVE_CARD)
            case .resetCard: DWORD(SCARD_RESET_CARD)
            case .unpowerCard:
                DWORD(
                    closedByPowerCycle.load(ordering: .sequentiallyConsistent) ? SCARD_LEAVE_CARD : SCARD_UNPOWER_CARD)
            }
        // Never dropped, never refused for load: it runs on the serial queue before any later
        // call of ours, and nobody else gets the card until the transaction ends. A reset that
        // fails is made up for on the queue itself, also when it comes after our timeout.
        _ = try? await context.queue.run(
            timeout: timeout, expired: { PCSCTimeout.hung("SCardEndTransaction", self.timeout) }
        ) { () -> Int in
            let status = SCardEndTransaction(handle, disposition)
            if disposition != DWORD(SCARD_LEAVE_CARD) { self.resetIfNeeded(after: status) }
            return status
        }
    }

    /// After an `SCardEndTransaction(RESET/UNPOWER)` that did not succeed: power-cycle the card on
    /// its own, or drop the handle with a power-down (then it counts as disconnected: later calls fail, and the
    /// session reconnects on the next insertion). A card that left took its security state with it.
    private func resetIfNeeded(after status: Int) {
        guard status != SCARD_S_SUCCESS, status != SCARD_W_REMOVED_CARD, status != SCARD_E_NO_SMARTCARD else { return }
        var active: DWORD = 0
        let reconnected = SCardReconnect(
            handle, DWORD(SCARD_SHARE_SHARED), DWORD(SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1),
            DWORD(SCARD_UNPOWER_CARD), &active)
        if reconnected == SCARD_S_SUCCESS {
            activeProtocol.withLock { $0 = PCSCProtocol(rawValue: active) }
        } else if !disconnected.exchange(true, ordering: .relaxed) {
            SCardDisconnect(handle, DWORD(SCARD_UNPOWER_CARD))
        }
    }

    /// What `SCardStatus` reports.
    public struct Status: Sendable, Equatable {
        public let reader: String
        public let state: UInt
        public let `protocol`: PCSCProtocol
        public let atr: [UInt8]
    }

    public func status() async throws -> Status {
        let handle = self.handle
        return try await call("SCardStatus") {
            var nameLength = DWORD(256)
            var name = [CChar](repeating: 0, count: 256)
            var state: DWORD = 0
            var proto: DWORD = 0
            var atr = [UInt8](repeating: 0, count: Int(MAX_ATR_SIZE))
            var atrLength = DWORD(atr.count)
            try PCSCError.check(
                SCardStatus(handle, &name, &nameLength, &state, &proto, &atr, &atrLength), "SCardStatus")
            let reader = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return Status(
                reader: reader, state: UInt(state), protocol: PCSCProtocol(rawValue: proto),
                atr: Array(atr.prefix(Int(atrLength))))
        }
    }

    /// Re-establishes the connection after `card_reset` (`leave`) or resets the card (`reset`).
    public func reconnect(resetCard: Bool = false) async throws {
        let handle = self.handle
        let active = try await call("SCardReconnect") {
            var active: DWORD = 0
            try PCSCError.check(
                SCardReconnect(
                    handle, DWORD(SCARD_SHARE_SHARED), DWORD(SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1),
                    DWORD(resetCard ? SCARD_RESET_CARD : SCARD_LEAVE_CARD), &active),
                "SCardReconnect")
            return active
        }
        activeProtocol.withLock { $0 = PCSCProtocol(rawValue: active) }
    }

    /// Disconnects; `resetCard` clears the card's security state (verified PINs) with a power
    /// cycle (`SCARD_UNPOWER_CARD`): a warm reset would not on a physical card.
    public func disconnect(resetCard: Bool = false) async {
        guard !disconnected.exchange(true, ordering: .relaxed) else { return }
        let handle = self.handle
        // Never refused for load: the handle must be released, whenever the queue gets to it.
        _ = try? await context.queue.run(
            timeout: timeout, expired: { PCSCTimeout.hung("SCardDisconnect", self.timeout) }
        ) {
            SCardDisconnect(handle, DWORD(resetCard ? SCARD_UNPOWER_CARD : SCARD_LEAVE_CARD))
        }
    }

    deinit {
        if !disconnected.load(ordering: .relaxed) { SCardDisconnect(handle, DWORD(SCARD_LEAVE_CARD)) }
    }
}

/// The calls a card has queued or running (a class, so queued closures can share it).
final class PendingCalls: Sendable {
    let count = Atomic<Int>(0)
}
