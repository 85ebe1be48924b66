import CardSimulator
import ISO7816
import JPKIDaemon
import PCSC
import Synchronization

/// One simulated reader holding a simulated card, for tests and fuzzing without pcscd.
///
/// A test double: it lives in its own module, which the installed daemon does not link. Demos
/// and system tests reach the simulated card through pcscd instead (`jpki-sim` behind vpcd).
public final class SimulatedCardSource: CardSource {
    public static let readerName = "jpkid Simulated Reader 00"
    private let current: Mutex<SimulatedCard>
    private let continuations = Mutex<[AsyncStream<ReaderEvent>.Continuation]>([])
    private let present = Mutex(true)

    public init(card: SimulatedCard) {
        self.current = Mutex(card)
    }

    public var heartbeat: Heartbeat? { nil }

    /// The card in the reader (or last in it).
    public var card: SimulatedCard { current.withLock { $0 } }

    public func events() -> AsyncStream<ReaderEvent> {
        let (stream, continuation) = AsyncStream<ReaderEvent>.makeStream()
        continuation.yield(.readerAdded(Self.readerName))
        if present.withLock({ $0 }) {
            continuation.yield(.cardInserted(reader: Self.readerName, atr: card.atr))
        }
        continuations.withLock { $0.append(continuation) }
        return stream
    }

    /// Pulls the simulated card out of the reader.
    public func removeCard() {
        present.withLock { $0 = false }
        card.remove()
        broadcast(.cardRemoved(reader: Self.readerName))
    }

    /// Puts it back, or another card in its place.
    public func insertCard(_ other: SimulatedCard? = nil) {
        if let other { current.withLock { $0 = other } }
        present.withLock { $0 = true }
        card.insert()
        broadcast(.cardInserted(reader: Self.readerName, atr: card.atr))
    }

    private func broadcast(_ event: ReaderEvent) {
        for continuation in continuations.withLock({ $0 }) { continuation.yield(event) }
    }

    public func connect(reader: String) async throws -> any CardConnection {
        guard reader == Self.readerName, present.withLock({ $0 }) else {
            throw APIError.noCard
        }
        return SimulatedConnection(card: card)
    }
}

struct SimulatedConnection: CardConnection {
    let card: SimulatedCard
    var transport: any CardTransport { SimulatedCardTransport(card: card, extendedLength: .unknown) }
    func close() async {}
}
