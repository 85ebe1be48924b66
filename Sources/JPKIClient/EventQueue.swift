import FoundationEssentials

/// Hands an event stream from the event loop to the thread that called
/// ``UnixHTTPClient/eventStream(_:headers:onOpen:onItem:)``. It holds at most about
/// `capacity` items: when full, the event loop stops reading from the socket (`wantsMore`
/// says no) until the caller has taken half of them (`take` says to resume).
final class EventQueue: EventStreamSink, @unchecked Sendable {
    typealias Part = EventStreamPart

    private let condition = Condition()
    private var parts: [Part] = []
    private var finished = false
    private var paused = false
    let capacity: Int

    init(capacity: Int) { self.capacity = max(2, capacity) }

    /// Adds parts; nothing after a final one.
    func push(_ new: [Part]) {
        condition.lock()
        defer { condition.unlock() }
        for part in new where !finished {
            parts.append(part)
            finished = part.isFinal
        }
        condition.signal()
    }

    /// Whether the event loop may read more now; if not, `take` tells when to resume.
    func wantsMore() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        paused = parts.count >= capacity
        return !paused
    }

    /// The next part, or nil if none came before `deadline`; `resume` when the event loop
    /// stopped reading and should start again.
    func take(before deadline: Date) -> (part: Part, resume: Bool)? {
        condition.lock()
        defer { condition.unlock() }
        while parts.isEmpty {
            guard condition.wait(until: deadline) || !parts.isEmpty else { return nil }
        }
        let part = parts.removeFirst()
        let resume = paused && parts.count <= capacity / 2
        if resume { paused = false }
        return (part, resume)
    }
}
