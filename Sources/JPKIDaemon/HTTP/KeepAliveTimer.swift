import NIOCore
import Synchronization

/// One keep-alive timer per event loop for all of a server's event streams on it: every
/// `interval` each open stream gets a comment. A timer per stream cost each of a kiosk's idle
/// streams about 300 bytes more.
final class KeepAliveTimer: Sendable {
    private let interval: TimeAmount
    private let loops = Mutex<[ObjectIdentifier: NIOLoopBound<Streams>]>([:])

    /// The streams of one event loop, and its timer while there are any.
    private final class Streams {
        var open: [ObjectIdentifier: EventStream] = [:]
        var timer: RepeatedTask?
    }

    init(every interval: Duration) {
        self.interval = .nanoseconds(interval.nanoseconds)
    }

    /// Adds `stream` (on `eventLoop`, its connection's loop).
    func add(_ stream: EventStream, on eventLoop: any EventLoop) {
        let key = ObjectIdentifier(eventLoop)
        let streams = loops.withLock { loops in
            if let known = loops[key] { return known }
            let created = NIOLoopBound(Streams(), eventLoop: eventLoop)
            loops[key] = created
            return created
        }
        streams.value.open[ObjectIdentifier(stream)] = stream
        guard streams.value.timer == nil else { return }
        streams.value.timer = eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            for stream in streams.value.open.values { stream.keepAlive() }
        }
    }

    /// Removes `stream` (on its loop); the loop's timer stops with its last stream.
    func remove(_ stream: EventStream, on eventLoop: any EventLoop) {
        guard let streams = loops.withLock({ $0[ObjectIdentifier(eventLoop)] }) else { return }
        streams.value.open.removeValue(forKey: ObjectIdentifier(stream))
        if streams.value.open.isEmpty {
            streams.value.timer?.cancel()
            streams.value.timer = nil
        }
    }
}
