import Foundation
import JPKIAPI
import Synchronization

/// Fans daemon events out to every `GET /v1/events` subscriber. Events carry no PIN and no
/// personal data by construction: ``EventView`` has no field for either.
public final class EventBus: Sendable {
    private let subscribers = Mutex<[UUID: AsyncStream<EventView>.Continuation]>([:])

    public init() {}

    public func subscribe() -> AsyncStream<EventView> {
        let id = UUID()
        let (stream, continuation) = AsyncStream<EventView>.makeStream(bufferingPolicy: .bufferingNewest(256))
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.removeValue(forKey: id) }
        }
        subscribers.withLock { $0[id] = continuation }
        return stream
    }

    public func publish(_ event: EventView) {
        for continuation in subscribers.withLock({ Array($0.values) }) { continuation.yield(event) }
    }

    /// Ends every stream (graceful shutdown).
    public func finishAll() {
        let all = subscribers.withLock { s -> [AsyncStream<EventView>.Continuation] in
            defer { s.removeAll() }
            return Array(s.values)
        }
        all.forEach { $0.finish() }
    }
}
