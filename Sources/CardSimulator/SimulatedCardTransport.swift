import ISO7816

/// The simulated card in-process, as a ``CardTransport``.
public struct SimulatedCardTransport: CardTransport {
    public let card: SimulatedCard
    public let supportsExtendedLength: Bool

    public init(card: SimulatedCard, supportsExtendedLength: Bool = false) {
        self.card = card
        self.supportsExtendedLength = supportsExtendedLength
    }

    public func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU {
        let delay = card.delay
        if delay > .zero { try await Task.sleep(for: delay) }
        switch card.process(command.encoded()) {
        case .removed: throw SimulatedTransportError.cardRemoved
        case .response(let bytes): return try ResponseAPDU(bytes: bytes)
        }
    }
}
