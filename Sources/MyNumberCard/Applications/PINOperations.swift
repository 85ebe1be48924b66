import ErrorCodes
import ISO7816
import Synchronization

/// Operations that send a PIN.
///
/// Each runs in one exclusive transaction that ends with a checked power cycle whenever a VERIFY
/// went out, whatever happens inside it (a wrong PIN, an error status word, a cancelled task):
/// SELECT the PIN's application and EF, read the counter with the empty VERIFY, refuse the final
/// try unless the caller confirmed it, send VERIFY once, do the work in that security state, then
/// power-cycle the card inside the transaction and check with APDUs that spend nothing that the
/// PIN is closed again (``PowerCycleCheck``). No other PC/SC client can come between the guard
/// and the VERIFY, or find the card verified after it. A warm reset would not do: physical cards
/// keep verified PINs across it (reference section 11).
extension MyNumberCard {
    /// Verifies `pin` once. A wrong PIN throws ``CardError/wrongPIN(_:triesLeft:)``, a blocked
    /// one ``CardError/pinBlocked(_:)``, a last try without `confirmFinalAttempt`
    /// ``CardError/finalAttempt(_:)`` (nothing sent). On success the counter is at its maximum.
    public func verify(_ pin: PIN, confirmFinalAttempt: Bool) async throws {
        // The VERIFY's answer is the whole result: a caller who gave up meanwhile still gets it.
        try await withVerifiedPIN(pin, confirmFinalAttempt: confirmFinalAttempt, stopsWhenCancelled: false) {}
    }

    /// Reads the digital signature certificate after verifying the sign PIN.
    /// Throws ``CardError/certificateNotIssued`` when the card carries none.
    public func readSignCertificate(pin: PIN, confirmFinalAttempt: Bool) async throws -> [UInt8] {
        guard pin.kind == .sign else {
            throw CardError.pinFormat(pin.kind, "the signature certificate needs the digital signature PIN")
        }
        return try await withVerifiedPIN(pin, confirmFinalAttempt: confirmFinalAttempt) {
            do {
                return try await self.readDERFile(JPKIFile.signCertificate)
            } catch CardError.fileNotFound {
                throw CardError.certificateNotIssued
            }
        }
    }

    /// Verifies the key's PIN, then signs the DigestInfo with the card's key, and with
    /// `readingCertificate` reads the key's certificate in the same verified state (the
    /// signature certificate can only be read after its PIN). Returns the 256-byte PKCS#1 v1.5
    /// signature.
    public func sign(
        _ digestInfo: DigestInfo, with key: SigningKey, pin: PIN, confirmFinalAttempt: Bool,
        readingCertificate: Bool = false
    ) async throws -> (signature: [UInt8], certificate: [UInt8]?) {
        guard pin.kind == key.pinKind else {
            throw CardError.pinFormat(pin.kind, "the \(key.rawValue) key needs the \(key.pinKind.displayName)")
        }
        return try await withVerifiedPIN(pin, confirmFinalAttempt: confirmFinalAttempt) {
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

    /// The frame every PIN operation runs in: one transaction, the guard, one VERIFY, then `work`
    /// while the PIN is verified; then, whenever a VERIFY went out (whatever came of it, also on
    /// errors and cancellation), a power cycle inside the transaction and the checks that it
    /// closed the session (``PowerCycleCheck``), and only then the transaction's end. A card whose
    /// reader kept the state is power-cycled once more. The check's result is kept for
    /// ``takePowerCycleCheck()``.
    ///
    /// Once the PIN is out, a caller that gave up meanwhile (cancellation) gets the VERIFY's own
    /// answer and no more: with `stopsWhenCancelled`, a right PIN ends in
    /// ``CardError/stoppedAfterVerify(_:)`` before `work` (no signature, no data read).
    func withVerifiedPIN<T: Sendable>(
        _ pin: PIN, confirmFinalAttempt: Bool, stopsWhenCancelled: Bool = true,
        _ work: @Sendable @escaping () async throws -> T
    ) async throws -> T {
        try Task.checkCancellation()
        return try await exclusive(ending: .unpowerCard) {
            // The card may have been busy for a while: a request nobody waits for ends here.
            try Task.checkCancellation()
            let sent = PINSent()
            let outcome: Result<T, any Error>
            do {
                try await self.select(pin.kind.application)
                try await self.guardedVerify(pin, confirmFinalAttempt: confirmFinalAttempt, sent: sent)
                if stopsWhenCancelled, Task.isCancelled { throw CardError.stoppedAfterVerify(pin.kind) }
                outcome = .success(try await work())
            } catch {
                outcome = .failure(error)
            }
            if sent.value {
                let check = await self.closeSession(after: pin.kind)
                self.lastPowerCycleCheck.withLock { $0 = check }
            }
            return try outcome.get()
        }
    }

    /// The result of the check after the last PIN session's power cycle, once: nil when none ran
    /// since the last call (no VERIFY went out).
    public func takePowerCycleCheck() -> PowerCycleCheck? {
        lastPowerCycleCheck.withLock { check in
            defer { check = nil }
            return check
        }
    }

    /// Power-cycles the card inside the transaction and checks that the session is closed. Never
    /// throws. Only a passed check lets the transaction end without a power-down of its own
    /// (``CardTransport/forgetPowerCycle()``): a failed check or one that could not tell ends it
    /// with `SCARD_UNPOWER_CARD` anyway.
    func closeSession(after kind: PINKind) async -> PowerCycleCheck {
        do {
            try await transport.powerCycle()
            switch try await checkClosed(kind) {
            case .closed(let securityChecked):
                return .closed(securityChecked: securityChecked)
            case .unexpected(let why):
                transport.forgetPowerCycle()
                return .notChecked(why)
            case .kept(let reason):
                return .stateKept(reason + (await closeByLeaving(kind)))
            }
        } catch {
            transport.forgetPowerCycle()
            return .notChecked((error as? any CodedError)?.message ?? "\(error)")
        }
    }

    /// The reader kept the card's state across the power cycle: one more power cycle, then, since
    /// that may do nothing either, SELECT another application, which clears the security status of
    /// the one left (reference section 1), and check again. The transaction ends with a
    /// power-down whatever came of it. Returns what the second check found, for the reason.
    private func closeByLeaving(_ kind: PINKind) async -> String {
        defer { transport.forgetPowerCycle() }
        try? await transport.powerCycle()
        let others = [CardApplication.cardFace, .jpki, .cardText].filter { $0 != kind.application }
        for other in others {
            guard (try? await select(other)) != nil else { continue }
            switch try? await checkClosed(kind, selectionCheck: false) {
            case .closed(securityChecked: true)?: return "; selecting the \(other.displayName) closed it"
            case .closed(securityChecked: false)?:
                return "; the \(other.displayName) was selected to clear it (no file can prove that)"
            case .kept?: return "; selecting the \(other.displayName) did not close it"
            case .unexpected?, nil: return "; after selecting the \(other.displayName) the card could not tell"
            }
        }
        return "; no other application could be selected to close it"
    }

    private enum SessionFinding {
        /// Closed; `securityChecked` false where no readable file could prove it.
        case closed(securityChecked: Bool)
        /// The card kept its state.
        case kept(String)
        /// The card answered something that tells neither.
        case unexpected(String)
    }

    /// The checks after a power cycle. Only `69 82` to the READ BINARY counts as closed; a file
    /// the card does not have (`6A 82` to its SELECT) leaves the session unproven, not closed.
    private func checkClosed(_ kind: PINKind, selectionCheck: Bool = true) async throws -> SessionFinding {
        if selectionCheck {
            // The selection check: no application is selected after a power-up.
            let selection = try await transport.exchange(CardCommands.selectFile(kind.fileID))
            if selection.statusWord == .success {
                return .kept("after a power cycle the \(kind.application.displayName) was still selected")
            }
        }
        // The security check: the file this PIN opens must be closed again.
        guard let fid = kind.protectedFile else { return .closed(securityChecked: false) }
        try await select(kind.application)
        var read = try await transport.exchange(CardCommands.readBinary(shortFileID: UInt8(fid & 0x1F), length: 1))
        if [
            StatusWord.functionNotSupported, .incorrectParameters, .wrongParameters, .instructionNotSupported,
            .fileNotFound,
        ].contains(read.statusWord) {
            // No short EF identifiers on this card (or not for this file): select it, then read.
            let file = try await transport.exchange(CardCommands.selectFile(fid))
            switch file.statusWord {
            case .success: break
            case .fileNotFound: return .closed(securityChecked: false)  // a child's card: no sign certificate
            default: return .unexpected("SELECT of file \(fid.hex4) after a power cycle answered \(file.statusWord)")
            }
            read = try await transport.exchange(CardCommands.readBinary(offset: 0, length: 1))
        }
        switch read.statusWord {
        case .securityStatusNotSatisfied:
            return .closed(securityChecked: true)
        case .success, .endOfFileReached:
            return .kept("after a power cycle file \(fid.hex4) was readable: the \(kind.displayName) stayed verified")
        default:
            return .unexpected("READ BINARY of file \(fid.hex4) after a power cycle answered \(read.statusWord)")
        }
    }

    /// In the selected application: SELECT the PIN EF, read its counter, apply the final-try
    /// guard, and send VERIFY exactly once. Returns only when the PIN was accepted.
    private func guardedVerify(_ pin: PIN, confirmFinalAttempt: Bool, sent: PINSent) async throws {
        let kind = pin.kind
        do {
            try await selectFile(kind.fileID)
        } catch CardError.fileNotFound {
            throw CardError.pinNotAvailable(kind)
        }
        let counter = try await transport.exchange(CardCommands.verifyStatus)
        switch Self.pinState(counter.statusWord) {
        case .blocked?:
            throw CardError.pinBlocked(kind)
        case .remaining(let left)? where left <= 1 && !confirmFinalAttempt:
            throw CardError.finalAttempt(kind)
        case .remaining?, .verified?:
            break
        case .notAvailable?, nil:
            switch counter.statusWord.meaning {
            case .referencedDataNotFound, .conditionsNotSatisfied: throw CardError.pinNotAvailable(kind)
            default: throw CardError.unexpectedStatus(operation: "VERIFY (status) \(kind.rawValue)", counter.statusWord)
            }
        }
        var command = CardCommands.verify(pin)
        defer { command.wipe() }
        // The last check: nobody waits for this request any more, or its caller gave up. Past
        // this line the PIN is on its way, and the caller waits for the card's answer.
        try PINDispatch.commit()
        sent.mark()
        // Sent exactly once: `exchange` never resends a VERIFY, and nothing here loops.
        let response: ResponseAPDU
        do {
            response = try await transport.exchange(command)
        } catch {
            throw CardError.outcomeUnknown(kind, (error as? any CodedError)?.message ?? "\(error)")
        }
        switch response.statusWord.meaning {
        case .success: return
        case .verificationFailed(0), .referenceDataNotUsable, .authenticationMethodBlocked:
            throw CardError.pinBlocked(kind)
        case .verificationFailed(let left): throw CardError.wrongPIN(kind, triesLeft: left)
        case .referencedDataNotFound: throw CardError.pinNotAvailable(kind)
        default:
            // 6F 00 and the like do not tell whether the card checked the PIN: a try may be gone,
            // so the caller must not retry before the counter has been read again.
            throw CardError.outcomeUnknown(
                kind, "the card answered \(response.statusWord), which does not tell the result")
        }
    }
}

/// Whether a command carrying the PIN went out in the current operation.
final class PINSent: Sendable {
    private let flag = Atomic<Bool>(false)
    func mark() { flag.store(true, ordering: .sequentiallyConsistent) }
    var value: Bool { flag.load(ordering: .sequentiallyConsistent) }
}
