import Synchronization

/// A FIFO lock for async code: holders may suspend while holding it, unlike an actor's isolation.
///
/// Used so that one card operation's APDUs never interleave with another's. A task waiting for
/// the lock stops waiting with `CancellationError` when it is cancelled, and never takes the lock
/// afterwards.
public final class AsyncLock: Sendable {
    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Void, any Error>
    }
    private struct State {
        var locked = false
        var nextID: UInt64 = 0
        var waiters: [Waiter] = []
        /// Waiters cancelled before they were queued.
        var cancelledEarly: Set<UInt64> = []
    }
    private let state = Mutex(State())

    public init() {}

    /// How many tasks wait for the lock now (for tests that must act once a caller queued).
    public var waiting: Int { state.withLock { $0.waiters.count } }

    /// Takes the lock, waiting in line; throws `CancellationError` if the task is cancelled first.
    public func lock() async throws {
        try Task.checkCancellation()
        let id = state.withLock { s -> UInt64 in
            s.nextID += 1
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome = state.withLock { s -> Result<Bool, CancellationError> in
                    if s.cancelledEarly.remove(id) != nil { return .failure(CancellationError()) }
                    if s.locked {
                        s.waiters.append(Waiter(id: id, continuation: continuation))
                        return .success(false)
                    }
                    s.locked = true
                    return .success(true)
                }
                switch outcome {
                case .success(true): continuation.resume()
                case .success(false): break
                case .failure(let error): continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            let waiter = state.withLock { s -> Waiter? in
                if let index = s.waiters.firstIndex(where: { $0.id == id }) {
                    return s.waiters.remove(at: index)
                }
                s.cancelledEarly.insert(id)
                return nil
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
        // A cancellation that lost the race against the hand-over leaves an id behind: drop it.
        state.withLock { _ = $0.cancelledEarly.remove(id) }
    }

    /// How many tasks wait for the lock now.
    public var waiterCount: Int { state.withLock { $0.waiters.count } }

    /// Hands the lock to the next waiter, or frees it.
    public func unlock() {
        let next = state.withLock { s -> Waiter? in
            if s.waiters.isEmpty {
                s.locked = false
                return nil
            }
            return s.waiters.removeFirst()
        }
        next?.continuation.resume()
    }

    public func withLock<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await lock()
        defer { unlock() }
        return try await body()
    }
}
