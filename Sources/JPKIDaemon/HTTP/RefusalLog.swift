import Synchronization

/// Logs refusals at most once a second per user and reason, with how many were not logged in
/// between: a flood cannot flood the journal, and every refusal is still counted (the metric).
final class RefusalLog: Sendable {
    private let last = Mutex<[String: (at: ContinuousClock.Instant, suppressed: Int)]>([:])
    let interval: Duration

    init(interval: Duration = .seconds(1)) { self.interval = interval }

    /// The number of refusals not logged since the last line, when this one should be logged.
    func shouldLog(uid: UInt32, reason: ConnectionTable.Refusal, now: ContinuousClock.Instant = .now) -> Int? {
        let key = "\(uid)/\(reason.rawValue)"
        return last.withLock { entries in
            if let entry = entries[key], now - entry.at < interval {
                entries[key]?.suppressed += 1
                return nil
            }
            // Bounded: a storm of distinct uids forgets old entries rather than growing.
            if entries.count >= 4096 { entries.removeAll() }
            let suppressed = entries[key]?.suppressed ?? 0
            entries[key] = (now, 0)
            return suppressed
        }
    }
}
