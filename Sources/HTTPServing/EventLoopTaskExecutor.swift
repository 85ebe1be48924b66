import NIOCore

/// Runs a task's jobs on a connection's event loop (a task executor preference, SE-0417).
///
/// The staff page server serves each connection this way: its work never waits for a thread of
/// Swift concurrency's pool (which blocking code elsewhere in the process may hold). A
/// connection's task reads NIO's request parts and writes the answer; on the pool every part and
/// every write crossed between two threads (a wake-up each way), on the channel's own loop they
/// stay on one. (jpkid's API server answers from the loop itself, with no task per connection:
/// see its `APIConnectionHandler`.)
public final class EventLoopTaskExecutor: TaskExecutor {
    public let eventLoop: any EventLoop

    public init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        eventLoop.execute { job.runSynchronously(on: executor) }
    }
}
