import ISO7816

/// The simulated card in-process, as a ``CardTransport``.
///
/// Transactions behave as PC/SC's do: every transport on the same ``SimulatedCard`` (one per
/// "client") waits for the card's transaction lock. A transaction ended with
/// ``TransactionEnd/resetCard`` warm-resets the card (which keeps verified PINs, as a physical
/// card does); ``TransactionEnd/unpowerCard`` power-cycles it unless the transaction already did
/// (``powerCycle()``) and sent no PIN since.
public struct SimulatedCardTransport: CardTransport {
    public let card: SimulatedCard
    public let extendedLength: ExtendedLengthSupport

    public init(card: SimulatedCard, extendedLength: ExtendedLengthSupport = .unsupported) {
        self.card = card
        self.extendedLength = extendedLength
    }

    public func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU {
        let delay = card.delay + (command.carriesSecret ? card.faults.delayPINCommands : .zero)
        // A command on its way is not called back: the card takes its time whatever the caller
        // does meanwhile (a real SCardTransmit cannot be cancelled either).
        if delay > .zero { await Task.detached { try? await Task.sleep(for: delay) }.value }
        if command.carriesSecret { card.closedByPowerCycle = false }
        if command.carriesSecret, let status = card.faults.pinCommandStatus {
            return ResponseAPDU(data: [], statusWord: status)
        }
        switch card.process(command.encoded()) {
        case .removed: throw SimulatedTransportError.cardRemoved
        case .response(let bytes): return try ResponseAPDU(bytes: bytes)
        }
    }

    public func withTransaction<T: Sendable>(ending: TransactionEnd, _ body: @Sendable () async throws -> T)
        async throws -> T
    {
        try await card.transactions.lock()
        card.closedByPowerCycle = false
        defer {
            switch ending {
            case .leaveCard: break
            case .resetCard: card.warmReset()
            case .unpowerCard: if !card.closedByPowerCycle { card.reset() }
            }
            card.transactions.unlock()
        }
        return try await body()
    }

    /// Power-down and power-up (vpcd control `0`, `1`) with the transaction still held.
    public func powerCycle() async throws {
        if card.isRemoved { throw SimulatedTransportError.cardRemoved }
        card.reset()
        card.closedByPowerCycle = true
    }

    public func forgetPowerCycle() { card.closedByPowerCycle = false }
}
