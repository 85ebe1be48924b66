/// Carries command APDUs to one card and brings back its responses.
///
/// Card applications depend only on this protocol; PC/SC and the simulated card implement it.
/// Implementations throw ``CodedError`` values (for example `card_removed`).
public protocol CardTransport: Sendable {
    /// Sends one command and returns the card's response, exactly as received.
    func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU

    /// Whether commands with extended Lc/Le can reach the card, as far as the transport knows.
    var extendedLength: ExtendedLengthSupport { get }

    /// Runs `body` so that no other client's APDUs interleave with it (a PC/SC transaction), and
    /// ends the transaction as `ending` says, also when `body` throws or is cancelled. With
    /// ``TransactionEnd/unpowerCard`` the card is power-cycled as part of ending it unless `body`
    /// already did so itself (``powerCycle()``) and sent no command carrying reference data
    /// (a PIN) after that; then the card is left as it is, so the checks `body` ran after its
    /// power cycle are what the next client finds.
    func withTransaction<T: Sendable>(ending: TransactionEnd, _ body: @Sendable () async throws -> T)
        async throws -> T

    /// Powers the card down and up again (PC/SC: `SCardReconnect(…, SCARD_UNPOWER_CARD)`) inside
    /// the current transaction, which stays held: no other client can reach the card before the
    /// caller has checked that the power cycle cleared its security state. A real power-down is
    /// the only thing that closes a PIN session on a physical card; a warm reset does not.
    func powerCycle() async throws

    /// Forgets the ``powerCycle()`` calls made so far in the current transaction: a transaction
    /// asked to end ``TransactionEnd/unpowerCard`` then ends with a power-down of its own. For
    /// when the checks after a power cycle failed or could not tell (the reader may not power the
    /// card down at all): the card must never be handed on "as it is" then.
    func forgetPowerCycle()
}

/// How an exclusive transaction hands the card back.
public enum TransactionEnd: Sendable, Equatable {
    /// As it is: nothing was verified in it.
    case leaveCard
    /// Warm reset in the same step (`SCARD_RESET_CARD`). A physical card keeps its verified PINs
    /// across a warm reset (reference section 11): never use it to close a PIN session.
    case resetCard
    /// Power-cycled (`SCARD_UNPOWER_CARD`) unless the body already power-cycled the card and sent
    /// no PIN since: no verified security state survives the transaction.
    case unpowerCard
}

/// What a transport knows about extended-length APDUs (ISO 7816-4 Lc/Le of up to 65 535/65 536).
public enum ExtendedLengthSupport: Sendable, Equatable {
    case supported
    case unsupported
    /// Not known: try once, and remember the card's or reader's answer.
    case unknown
}

extension CardTransport {
    /// Sends a command and completes the T=0 procedure bytes: `61 xx` is followed by GET RESPONSE
    /// until all data has arrived, and `6C xx` resends the command once with the exact Le.
    ///
    /// A command carrying reference data (VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER) is
    /// never sent a second time: a PIN try must only be spent on purpose.
    ///
    /// `6F 00` (what some cards answer to the first command after a power-up, reference section
    /// 11) makes a command that reads or selects (``CommandAPDU/isRetriableAfterNoDiagnosis``) go
    /// out once more; a command carrying a PIN or signing never does.
    public func exchange(_ command: CommandAPDU) async throws -> ResponseAPDU {
        var response = try await transmit(command)
        if response.statusWord == .noPreciseDiagnosis, command.isRetriableAfterNoDiagnosis {
            response = try await transmit(command)
        }
        if case .wrongLe(let exact) = response.statusWord.meaning,
            command.expectedLength != nil,
            !CommandAPDU.secretInstructions.contains(command.ins)
        {
            let resend = try CommandAPDU(
                cla: command.cla, ins: command.ins, p1: command.p1, p2: command.p2,
                data: command.data, expectedLength: exact)
            response = try await transmit(resend)
        }
        var collected = response.data
        var rounds = 0
        while case .bytesRemaining(let count) = response.statusWord.meaning {
            rounds += 1
            // 65 536 bytes in 256-byte pieces is the most any APDU can return.
            guard rounds <= 256 else { break }
            let getResponse = try CommandAPDU(
                cla: 0x00, ins: 0xC0, p1: 0, p2: 0, expectedLength: count)
            response = try await transmit(getResponse)
            collected += response.data
        }
        return ResponseAPDU(data: collected, statusWord: response.statusWord)
    }
}
