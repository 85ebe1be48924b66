import Synchronization

/// Resumes a continuation with the first answer given and drops the later ones: for a race
/// between the work, a timer and a cancellation, whichever ends first.
///
/// The one helper for "first answer wins" in jpkid: the PC/SC queue's timeout, a reader
/// session's card deadline and the daemon's watchdog probe all use it.
public final class FirstAnswer<Value: Sendable, Failure: Error>: Sendable {
    private let continuation: Mutex<CheckedContinuation<Value, Failure>?>

    public init(_ continuation: CheckedContinuation<Value, Failure>) {
        self.continuation = Mutex(continuation)
    }

    /// Resumes with `result` if nothing answered yet; returns whether this answer won.
    @discardableResult
    public func give(_ result: Result<Value, Failure>) -> Bool {
        // Taken under the lock and resumed outside it: the resumed task may run at once.
        guard
            let continuation = continuation.withLock({ c in
                defer { c = nil }; return c
            })
        else { return false }
        continuation.resume(with: result)
        return true
    }

    /// Resumes with `value` if nothing answered yet; returns whether this answer won.
    @discardableResult
    public func give(_ value: Value) -> Bool { give(.success(value)) }
}
