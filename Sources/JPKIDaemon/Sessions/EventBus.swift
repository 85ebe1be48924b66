import FoundationEssentials
import JPKIAPI
import Synchronization

/// Fans daemon events out to every subscriber (`GET /v1/events`, systemd's status line).
///
/// Events carry no PIN and no personal data by construction: ``EventView`` has no field for
/// either. Each event gets an increasing id; the last ``ringSize`` are kept, so a client that
/// reconnects with `Last-Event-ID` gets what it missed (as long as that is less than a queue's
/// worth; else ``Item/overflow``, and the stream ends). Each subscriber has a bounded queue:
/// one that falls ``queueSize`` events behind gets ``Item/overflow`` and its stream ends, so a
/// client that stops reading never makes the daemon buffer without limit.
public final class EventBus: Sendable {
    /// What a subscriber receives.
    public enum Item: Sendable, Equatable {
        case event(id: UInt64, EventView)
        /// Events were lost (the subscriber fell behind, or asked for more than the ring holds):
        /// read the state again.
        case overflow
    }

    public let queueSize: Int
    public let ringSize: Int

    private struct State {
        var nextID: UInt64 = 1
        var ring: [(id: UInt64, event: EventView)] = []
        var subscribers: [UUID: Subscriber] = [:]
        var finished = false
    }
    private let state = Mutex(State())

    private struct Subscriber {
        let continuation: AsyncStream<Item>.Continuation
        let onOverflow: @Sendable () -> Void
    }

    public init(queueSize: Int = 64, ringSize: Int = 256) {
        self.queueSize = max(1, queueSize)
        self.ringSize = max(1, ringSize)
    }

    /// A new subscription. With `lastEventID`, the events after it come first (from the ring),
    /// or ``Item/overflow`` when the ring no longer holds them all.
    /// `onOverflow` runs (once, on the publishing thread) when this subscription is cut.
    public func subscribe(
        after lastEventID: UInt64? = nil, onOverflow: @escaping @Sendable () -> Void = {}
    ) -> AsyncStream<Item> {
        subscription(after: lastEventID, onOverflow: onOverflow).items
    }

    /// A new subscription, as ``subscribe(after:onOverflow:)``, with a way to end it from outside
    /// the task that reads it (an event stream whose connection closed while no event came).
    func subscription(
        after lastEventID: UInt64? = nil, onOverflow: @escaping @Sendable () -> Void = {}
    ) -> (items: AsyncStream<Item>, end: @Sendable () -> Void) {
        let id = UUID()
        // One slot more than the queue: room for the overflow marker.
        let (stream, continuation) = AsyncStream<Item>.makeStream(bufferingPolicy: .bufferingOldest(queueSize + 1))
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        // `finish()` runs `onTermination`, which takes the lock: only ever call it outside.
        let open = state.withLock { s -> Bool in
            if s.finished { return false }
            // An id the bus never gave (from the future, or far beyond) is treated as "lost".
            if let lastEventID, lastEventID < s.nextID - 1 {
                let missed = s.ring.filter { $0.id > lastEventID }
                let complete = missed.first.map { $0.id == lastEventID + 1 } ?? false
                guard complete, missed.count < queueSize else {
                    continuation.yield(.overflow)
                    return false
                }
                for entry in missed { continuation.yield(.event(id: entry.id, entry.event)) }
            } else if let lastEventID, lastEventID >= s.nextID {
                continuation.yield(.overflow)
                return false
            }
            s.subscribers[id] = Subscriber(continuation: continuation, onOverflow: onOverflow)
            return true
        }
        if !open { continuation.finish() }
        return (stream, { continuation.finish() })
    }

    /// Numbers `event`, keeps it in the ring and queues it for every subscriber.
    public func publish(_ event: EventView) {
        let overflowed = state.withLock { s -> [Subscriber] in
            let id = s.nextID
            s.nextID += 1
            s.ring.append((id, event))
            if s.ring.count > ringSize { s.ring.removeFirst(s.ring.count - ringSize) }
            var cut: [Subscriber] = []
            for (key, subscriber) in s.subscribers {
                if case .enqueued(let remaining) = subscriber.continuation.yield(.event(id: id, event)), remaining > 1 {
                    continue
                }
                // Full up to the reserved slot: mark the loss and end this subscription.
                subscriber.continuation.yield(.overflow)
                s.subscribers.removeValue(forKey: key)
                cut.append(subscriber)
            }
            return cut
        }
        for subscriber in overflowed {
            subscriber.continuation.finish()
            subscriber.onOverflow()
        }
    }

    /// How many subscriptions are open.
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Ends every stream and refuses new ones (graceful shutdown).
    public func finishAll() {
        let all = state.withLock { s -> [AsyncStream<Item>.Continuation] in
            s.finished = true
            defer { s.subscribers.removeAll() }
            return s.subscribers.values.map(\.continuation)
        }
        all.forEach { $0.finish() }
    }
}
