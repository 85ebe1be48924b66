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

    /// Where one subscription's items go: an `AsyncStream` (``subscribe(after:onOverflow:)``) or
    /// an event stream written from its connection's event loop.
    protocol Sink: Sendable {
        /// Queues `item`; false when the queue is full but for the slot kept for
        /// ``Item/overflow`` (the bus then queues that and ends the subscription).
        func offer(_ item: Item) -> Bool
        /// No more items come.
        func finish()
    }

    public let queueSize: Int
    public let ringSize: Int

    private struct State {
        var nextID: UInt64 = 1
        var nextSubscriber = 0
        var ring: [(id: UInt64, event: EventView)] = []
        var subscribers: [Int: Subscriber] = [:]
        var finished = false
    }
    private let state = Mutex(State())

    private struct Subscriber {
        let sink: any Sink
        let onOverflow: @Sendable () -> Void
    }

    public init(queueSize: Int = 64, ringSize: Int = 256) {
        self.queueSize = max(1, queueSize)
        self.ringSize = max(1, ringSize)
    }

    /// A new subscription as an `AsyncStream`. With `lastEventID`, the events after it come
    /// first (from the ring), or ``Item/overflow`` when the ring no longer holds them all.
    /// `onOverflow` runs (once, on the publishing thread) when this subscription is cut.
    public func subscribe(
        after lastEventID: UInt64? = nil, onOverflow: @escaping @Sendable () -> Void = {}
    ) -> AsyncStream<Item> {
        // One slot more than the queue: room for the overflow marker.
        let (stream, continuation) = AsyncStream<Item>.makeStream(bufferingPolicy: .bufferingOldest(queueSize + 1))
        let end = subscribe(StreamSink(continuation: continuation), after: lastEventID, onOverflow: onOverflow)
        continuation.onTermination = { _ in end() }
        return stream
    }

    /// Subscribes `sink` (as ``subscribe(after:onOverflow:)``); returns what ends the
    /// subscription from outside (the sink is then not finished: its owner is going).
    /// A sink the bus refuses (shut down, or `lastEventID` lost) is finished at once.
    func subscribe(
        _ sink: some Sink, after lastEventID: UInt64?, onOverflow: @escaping @Sendable () -> Void
    ) -> @Sendable () -> Void {
        // `finish()` may run code that takes the lock: only ever call it outside.
        let key = state.withLock { s -> Int? in
            if s.finished { return nil }
            // An id the bus never gave (from the future, or far beyond) is treated as "lost".
            if let lastEventID, lastEventID < s.nextID - 1 {
                let missed = s.ring.filter { $0.id > lastEventID }
                let complete = missed.first.map { $0.id == lastEventID + 1 } ?? false
                guard complete, missed.count < queueSize else {
                    _ = sink.offer(.overflow)
                    return nil
                }
                for entry in missed { _ = sink.offer(.event(id: entry.id, entry.event)) }
            } else if let lastEventID, lastEventID >= s.nextID {
                _ = sink.offer(.overflow)
                return nil
            }
            let key = s.nextSubscriber
            s.nextSubscriber += 1
            s.subscribers[key] = Subscriber(sink: sink, onOverflow: onOverflow)
            return key
        }
        guard let key else {
            sink.finish()
            return {}
        }
        return { [weak self] in _ = self?.state.withLock { $0.subscribers.removeValue(forKey: key) } }
    }

    /// Numbers `event`, keeps it in the ring and queues it for every subscriber.
    public func publish(_ event: EventView) {
        let overflowed = state.withLock { s -> [Subscriber] in
            let id = s.nextID
            s.nextID += 1
            s.ring.append((id, event))
            if s.ring.count > ringSize { s.ring.removeFirst(s.ring.count - ringSize) }
            var cut: [Subscriber] = []
            for (key, subscriber) in s.subscribers where !subscriber.sink.offer(.event(id: id, event)) {
                // Full up to the reserved slot: mark the loss and end this subscription.
                _ = subscriber.sink.offer(.overflow)
                s.subscribers.removeValue(forKey: key)
                cut.append(subscriber)
            }
            return cut
        }
        for subscriber in overflowed {
            subscriber.sink.finish()
            subscriber.onOverflow()
        }
    }

    /// How many subscriptions are open.
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Ends every stream and refuses new ones (graceful shutdown).
    public func finishAll() {
        let all = state.withLock { s -> [Subscriber] in
            s.finished = true
            defer { s.subscribers.removeAll() }
            return Array(s.subscribers.values)
        }
        all.forEach { $0.sink.finish() }
    }
}

extension EventBus {
    /// A subscription read as an `AsyncStream`.
    private struct StreamSink: Sink {
        let continuation: AsyncStream<Item>.Continuation

        func offer(_ item: Item) -> Bool {
            guard case .enqueued(let remaining) = continuation.yield(item) else { return false }
            return remaining > 1
        }

        func finish() { continuation.finish() }
    }
}
