import CardSimulator
import ISO7816
import PCSC
import Synchronization

/// An open connection to one card.
public protocol CardConnection: Sendable {
    var transport: any CardTransport { get }
    func close() async
}

/// Where readers and cards come from: pcscd, or a simulated card in-process.
public protocol CardSource: Sendable {
    /// Reader and card events, until the consuming task is cancelled.
    func events() -> AsyncStream<ReaderEvent>
    func connect(reader: String) async throws -> any CardConnection
    /// Beats while the source's event loop runs; nil when it has none to watch.
    var heartbeat: Heartbeat? { get }
}

/// Readers and cards through pcscd.
public struct PCSCCardSource: CardSource {
    public var monitor: ReaderMonitor
    /// The longest a PC/SC call on a card may keep a request waiting (`card_busy` after).
    public var cardTimeout: Duration
    public let heartbeat: Heartbeat?

    public init(readerFilter: String? = nil, cardTimeout: Duration = .seconds(10)) {
        let heartbeat = Heartbeat()
        self.monitor = ReaderMonitor(readerFilter: readerFilter, heartbeat: heartbeat)
        self.cardTimeout = cardTimeout
        self.heartbeat = heartbeat
    }

    public func events() -> AsyncStream<ReaderEvent> {
        let monitor = self.monitor
        return AsyncStream { continuation in
            let task = Task {
                for await event in monitor { continuation.yield(event) }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    public func connect(reader: String) async throws -> any CardConnection {
        // A context per connection: its calls never wait behind another reader's.
        let context = try await PCSCContext.establish()
        do {
            return PCSCConnection(card: try await context.connect(reader: reader, timeout: cardTimeout))
        } catch {
            await context.release()
            throw error
        }
    }
}

struct PCSCConnection: CardConnection {
    let card: PCSCCard
    var transport: any CardTransport { card }

    func close() async {
        await card.disconnect(resetCard: true)
        await card.context.release()
    }
}

/// One simulated reader holding a simulated card, for demos and tests without pcscd.
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
