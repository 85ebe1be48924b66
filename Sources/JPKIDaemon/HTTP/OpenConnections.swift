import NIOCore
import Synchronization

/// The open connections' guards, so that graceful shutdown reaches each and waits (bounded) until
/// all have closed: an idle connection closes at once, a running request gets its grace.
final class OpenConnections: Sendable {
    private struct State {
        var next = 0
        var guards: [Int: NIOLoopBound<ConnectionGuard>] = [:]
        /// Set once shutdown began: a connection accepted after it is shut down as it comes.
        var grace: Duration?
        var waiters: [CheckedContinuation<Void, Never>] = []
        /// The wait timed out: no one waits any more.
        var released = false
    }
    private let state = Mutex(State())

    /// Registers a connection's guard (on its event loop); ``remove(_:)`` with the key returned
    /// when the connection has closed.
    func add(_ watch: ConnectionGuard, of channel: any Channel) -> Int {
        let bound = NIOLoopBound(watch, eventLoop: channel.eventLoop)
        let (key, grace) = state.withLock { s -> (Int, Duration?) in
            defer { s.next += 1 }
            s.guards[s.next] = bound
            return (s.next, s.grace)
        }
        if let grace { watch.shutDown(grace: grace) }
        return key
    }

    /// Graceful shutdown: every connection closes when idle, or after `grace` at the latest.
    func shutDown(grace: Duration) {
        let all = state.withLock { s -> [NIOLoopBound<ConnectionGuard>] in
            s.grace = s.grace ?? grace
            return Array(s.guards.values)
        }
        for watch in all { watch.eventLoop.execute { watch.value.shutDown(grace: grace) } }
    }

    /// Returns once every connection has closed, or after `timeout`.
    func closed(within timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.empty() }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
            // The waiter that lost is resumed, so the group can end.
            self.release()
        }
    }

    private func empty() async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { s -> Bool in
                if s.guards.isEmpty || s.released { return true }
                s.waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    func remove(_ key: Int) {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.guards.removeValue(forKey: key)
            guard s.guards.isEmpty else { return [] }
            defer { s.waiters.removeAll() }
            return s.waiters
        }
        waiters.forEach { $0.resume() }
    }

    private func release() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.released = true
            defer { s.waiters.removeAll() }
            return s.waiters
        }
        waiters.forEach { $0.resume() }
    }
}
