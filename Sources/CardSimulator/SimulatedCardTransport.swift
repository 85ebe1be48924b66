import ISO7816

/// The simulated card in-process, as a ``CardTransport``.
///
/// Transactions behave as PC/SC's do: every transport on the same ``SimulatedCard`` (one per
/// "client") waits for the card's transaction lock, and a transaction ended with
/// ``TransactionEnd/resetCard`` resets the card before the next client gets it.
public struct SimulatedCardTransport: CardTransport {
    public let card: SimulatedCard
    public let extendedLength: ExtendedLengthSupport

    public init(card: SimulatedCard, extendedLength: ExtendedLengthSupport = .unsupported) {
        self.card = card
        self.extendedLength = extendedLength
    }

    public func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU {
        let delay = card.delay
        if delay > .zero { try await Task.sleep(for: delay) }
        switch card.process(command.encoded()) {
        case .removed: throw SimulatedTransportError.cardRemoved
        case .response(let bytes): return try ResponseAPDU(bytes: bytes)
        }
    }

    public func withTransaction<T: Sendable>(ending: TransactionEnd, _ body: @Sendable () async throws -> T)
        async throws -> T
    {
        try await card.transactions.lock()
        defer {
            if ending == .resetCard { card.reset() }
            card.transactions.unlock()
        }
        return try await body()
    }
}
