import CProcessHardening
import Synchronization

/// Returns the heap a burst of connections used once most of them have closed.
///
/// glibc keeps freed memory for reuse: after 500 event streams closed, their 13 MiB stayed in the
/// daemon's RSS. When the open connections fall to half the peak since the last trim (and at
/// least 64 have gone), and when the last one closes after at least 16 were open at once since the
/// last trim, the free pages go back to the system (`malloc_trim`). Without the second rule the
/// last few dozen of a burst kept about 3 MiB; a client that opens one connection per request
/// never makes a burst.
final class IdleTrim: Sendable {
    private let counts = Mutex<(open: Int, peak: Int)>((0, 0))
    static let minimumDrop = 64
    static let minimumDropToIdle = 16

    func opened() {
        counts.withLock { c in
            c.open += 1
            c.peak = max(c.peak, c.open)
        }
    }

    func closed() {
        let trim = counts.withLock { c -> Bool in
            c.open -= 1
            let halved = c.peak - c.open >= Self.minimumDrop && c.open <= c.peak / 2
            let idle = c.open == 0 && c.peak >= Self.minimumDropToIdle
            guard halved || idle else { return false }
            c.peak = c.open
            return true
        }
        if trim { _ = jpkid_malloc_trim() }
    }
}
