import NIOCore

/// Runs a task's jobs on a connection's event loop (a task executor preference, SE-0417).
///
/// A connection's task reads NIO's request parts and writes the answer; on Swift concurrency's
/// pool every part and every write crossed between two threads (a wake-up each way). On the
/// channel's own loop the parts arrive, the cached status is answered and the bytes go out on one
/// thread. Only the connection's own work runs here: a request that may reach a card runs in a task
/// of its own on the pool, and blocking pcsc-lite calls have their own queue.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        eventLoop.execute { job.runSynchronously(on: executor) }
    }
}
