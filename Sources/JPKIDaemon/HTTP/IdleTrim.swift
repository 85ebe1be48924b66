import CProcessHardening
import Synchronization

/// Returns the heap a burst of connections used once most of them have closed.
///
/// glibc keeps freed memory for reuse: after 500 event streams closed, their 13 MiB stayed in the
/// daemon's RSS. When the open connections fall to half the peak since the last trim (and at
/// least 64 have gone), the free pages go back to the system (`malloc_trim`).
final class IdleTrim: Sendable {
    private let counts = Mutex<(open: Int, peak: Int)>((0, 0))
    static let minimumDrop = 64

    func opened() {
        counts.withLock { c in
            c.open += 1
            c.peak = max(c.peak, c.open)
        }
    }

    func closed() {
        let trim = counts.withLock { c -> Bool in
            c.open -= 1
            guard c.peak - c.open >= Self.minimumDrop, c.open <= c.peak / 2 else { return false }
            c.peak = c.open
            return true
        }
        if trim { _ = jpkid_malloc_trim() }
    }
}
