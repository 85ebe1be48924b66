import Synchronization

/// The request a connection is handling now, so the connection's close can cancel it.
final class CurrentRequest: Sendable {
    private let state = Mutex<(task: Task<APIResponse, Never>?, closed: Bool)>((nil, false))

    func start(_ task: Task<APIResponse, Never>) {
        let closed = state.withLock { s -> Bool in
            s.task = task
            return s.closed
        }
        if closed { task.cancel() }
    }

    func finish() { state.withLock { $0.task = nil } }

    func cancel() {
        let task = state.withLock { s -> Task<APIResponse, Never>? in
            s.closed = true
            return s.task
        }
        task?.cancel()
    }
}
