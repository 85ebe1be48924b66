/// What one or more load connections saw: a latency sample per completed response, and the failures.
struct LoadTally: Sendable {
    /// Request-to-response-end latencies in nanoseconds, of responses that started after the warm-up.
    var latencies: [UInt64] = []
    /// Responses whose status was not 200 (counted in `latencies` too).
    var non200 = 0
    /// Failed connects, connections closed under a request, protocol errors.
    var errors = 0
    /// Body bytes of the last complete response (to show both servers send the same answer).
    var bodyBytes = 0

    mutating func merge(_ other: LoadTally) {
        latencies += other.latencies
        non200 += other.non200
        errors += other.errors
        if other.bodyBytes > 0 { bodyBytes = other.bodyBytes }
    }

    /// The `fraction` percentile (nearest rank) in milliseconds; nil without samples.
    static func percentile(_ fraction: Double, ofSorted sorted: [UInt64]) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return Double(sorted[min(max(rank, 1), sorted.count) - 1]) / 1e6
    }
}
