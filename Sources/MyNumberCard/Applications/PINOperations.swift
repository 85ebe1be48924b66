import ISO7816

/// Operations that send a PIN.
///
/// Each runs in one exclusive transaction that ends with a card reset, whatever happens inside
/// it (a wrong PIN, an error status word, a pulled card, a cancelled task): SELECT the PIN's
/// application and EF, read the counter with the empty VERIFY, refuse the final try unless the
/// caller confirmed it, send VERIFY once, then do the work in that security state. No other
/// PC/SC client can come between the guard and the VERIFY, or find the card verified after it.
extension MyNumberCard {
    /// Verifies `pin` once. A wrong PIN throws ``CardError/wrongPIN(_:triesLeft:)``, a blocked
    /// one ``CardError/pinBlocked(_:)``, a last try without `confirmFinalAttempt`
    /// ``CardError/finalAttempt(_:)`` (nothing sent). On success the counter is at its maximum.
    public func verify(_ pin: PIN, confirmFinalAttempt: Bool) async throws {
        try await withVerifiedPIN(pin, confirmFinalAttempt: confirmFinalAttempt) {}
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

    /// The frame every PIN operation runs in: one transaction ending with a card reset, the
    /// guard, one VERIFY, then `work` while the PIN is verified.
    func withVerifiedPIN<T: Sendable>(
        _ pin: PIN, confirmFinalAttempt: Bool, _ work: @Sendable @escaping () async throws -> T
    ) async throws -> T {
        try Task.checkCancellation()
        return try await exclusive(ending: .resetCard) {
            // The card may have been busy for a while: a request nobody waits for ends here.
            try Task.checkCancellation()
            try await self.select(pin.kind.application)
            try await self.guardedVerify(pin, confirmFinalAttempt: confirmFinalAttempt)
            return try await work()
        }
    }

    /// In the selected application: SELECT the PIN EF, read its counter, apply the final-try
    /// guard, and send VERIFY exactly once. Returns only when the PIN was accepted.
    private func guardedVerify(_ pin: PIN, confirmFinalAttempt: Bool) async throws {
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
        // Nobody waits for this request any more: stop before a try could be spent.
        try Task.checkCancellation()
        // Sent exactly once: `exchange` never resends a VERIFY, and nothing here loops.
        var command = CardCommands.verify(pin)
        defer { command.wipe() }
        let response = try await transport.exchange(command)
        switch response.statusWord.meaning {
        case .success: return
        case .verificationFailed(0), .referenceDataNotUsable, .authenticationMethodBlocked:
            throw CardError.pinBlocked(kind)
        case .verificationFailed(let left): throw CardError.wrongPIN(kind, triesLeft: left)
        case .referencedDataNotFound: throw CardError.pinNotAvailable(kind)
        default: throw CardError.unexpectedStatus(operation: "VERIFY \(kind.rawValue)", response.statusWord)
        }
    }
}
