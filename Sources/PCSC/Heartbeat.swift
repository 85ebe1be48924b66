import Synchronization

/// When a loop last made progress: the reader monitor beats on every pass, and the daemon's
/// watchdog pings systemd only while the beats keep coming.
public final class Heartbeat: Sendable {
    private let last = Atomic<Int64>(0)
    private static let clock = ContinuousClock()
    private static let origin = clock.now

    public init() { beat() }

    public func beat() {
        last.store(Self.nanoseconds(Self.clock.now), ordering: .relaxed)
    }

    /// Time since the last beat.
    public var age: Duration {
        .nanoseconds(Self.nanoseconds(Self.clock.now) - last.load(ordering: .relaxed))
    }

    private static func nanoseconds(_ instant: ContinuousClock.Instant) -> Int64 {
        let (seconds, attoseconds) = (instant - origin).components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
