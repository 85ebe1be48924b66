import Synchronization
import Testing

@testable import ISO7816

/// A value shared between test tasks.
final class Shared<Value: Sendable>: Sendable {
    let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
}

@Suite("AsyncLock")
struct AsyncLockTests {
    @Test func waitersGetTheLockInOrder() async throws {
        let lock = AsyncLock()
        let order = Shared<[Int]>([])
        try await lock.lock()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<5 {
                group.addTask {
                    try await lock.withLock { order.value.withLock { $0.append(i) } }
                }
                // Each waiter is queued before the next one starts.
                try await waitUntil { lock.waiterCount == i + 1 }
            }
            lock.unlock()
            try await group.waitForAll()
        }
        #expect(order.value.withLock { $0 } == [0, 1, 2, 3, 4])
    }

    @Test func aCancelledWaiterLeavesTheQueueAndNeverTakesTheLock() async throws {
        let lock = AsyncLock()
        try await lock.lock()
        let took = Shared(false)
        let waiter = Task {
            try await lock.lock()
            took.value.withLock { $0 = true }
            lock.unlock()
        }
        try await waitUntil { lock.waiterCount == 1 }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(lock.waiterCount == 0)
        lock.unlock()
        // The lock is free again: a new holder gets it at once.
        try await lock.lock()
        lock.unlock()
        #expect(!took.value.withLock { $0 })
    }

    @Test func aTaskCancelledBeforeItAsksNeverTakesTheLock() async throws {
        let lock = AsyncLock()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await lock.lock()
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        try await lock.lock()
        lock.unlock()
    }

    /// Polls `condition` until it holds, for at most 30 s.
    func waitUntil(_ condition: () -> Bool) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(30)
        while !condition() {
            guard clock.now < deadline else {
                Issue.record("condition not met within 30 s")
                return
            }
            try await Task.sleep(for: .milliseconds(1))
        }
    }
}
