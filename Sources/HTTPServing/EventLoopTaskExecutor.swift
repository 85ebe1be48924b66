import NIOCore

/// Runs a task's jobs on a connection's event loop (a task executor preference, SE-0417).
///
/// Both servers serve each connection this way: its work never waits for a thread of Swift
/// concurrency's pool (which blocking code elsewhere in the process may hold).
///
/// A connection's task reads NIO's request parts and writes the answer; on Swift concurrency's
/// pool every part and every write crossed between two threads (a wake-up each way). On the
/// channel's own loop the parts arrive, the cached status is answered and the bytes go out on one
/// thread. Only the connection's own work runs here: in jpkid, a request that may reach a card runs in a task
/// of its own on the pool, and blocking pcsc-lite calls have their own queue.
public final class EventLoopTaskExecutor: TaskExecutor {
    public let eventLoop: any EventLoop

    public init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        eventLoop.execute { job.runSynchronously(on: executor) }
    }
}
