import ISO7816
import PCSC

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
