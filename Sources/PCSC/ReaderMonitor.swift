import CPCSCLite
import ErrorCodes
import FoundationEssentials
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What the reader monitor reports.
public enum ReaderEvent: Sendable, Equatable {
    case readerAdded(String)
    case readerRemoved(String)
    case cardInserted(reader: String, atr: [UInt8])
    case cardRemoved(reader: String)
    /// The reader is there but cannot be used (unplugged mid-call, driver trouble, mute card).
    case readerUnavailable(String)
    /// pcscd went away (`no_service` / `comm_error`); the monitor keeps trying to reconnect.
    case pcscUnavailable(code: ErrorCode)
    /// pcscd is back; the readers follow as `readerAdded` / `cardInserted`.
    case pcscRestored
}

/// Watches readers and cards with `SCardGetStatusChange`, as an `AsyncSequence` of ``ReaderEvent``.
///
/// One blocking thread per iteration, with its own context. It watches the
/// `\\?PnP?\Notification` pseudo reader for hot-plug, carries the last seen state of every reader
/// into the next call (no polling with `SCARD_STATE_UNAWARE`), and when pcscd goes away reports
/// it and re-establishes the context with a capped exponential backoff, then reports the readers
/// again. Cancelling the consuming task ends the thread via `SCardCancel` (and, should that race,
/// the finite wait timeout).
public struct ReaderMonitor: AsyncSequence, Sendable {
    public typealias Element = ReaderEvent

    /// Longest single wait in `SCardGetStatusChange`.
    public var waitTimeout: Duration
    /// First and longest pause between attempts to reach pcscd again.
    public var initialBackoff: Duration
    public var maximumBackoff: Duration
    /// Only readers whose name contains this (case-insensitive) are reported; nil reports all.
    public var readerFilter: String?
    /// Beaten on every pass of the loop (at least every ``waitTimeout`` while it works).
    public var heartbeat: Heartbeat?

    public init(
        waitTimeout: Duration = .seconds(5), initialBackoff: Duration = .milliseconds(100),
        maximumBackoff: Duration = .seconds(5), readerFilter: String? = nil, heartbeat: Heartbeat? = nil
    ) {
        self.waitTimeout = waitTimeout
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
        self.readerFilter = readerFilter
        self.heartbeat = heartbeat
    }

    public func makeAsyncIterator() -> AsyncStream<ReaderEvent>.Iterator {
        let (stream, continuation) = AsyncStream<ReaderEvent>.makeStream(bufferingPolicy: .unbounded)
        let worker = MonitorWorker(configuration: self, emit: { continuation.yield($0) })
        continuation.onTermination = { _ in worker.cancel() }
        let started = DetachedThread.start {
            worker.run()
            continuation.finish()
        }
        // No thread: the stream ends at once, the heartbeat stops and the watchdog restarts us.
        if !started { continuation.finish() }
        return stream.makeAsyncIterator()
    }
}

/// The blocking loop behind ``ReaderMonitor``.
final class MonitorWorker: Sendable {
    static let pnpReader = "\\\\?PnP?\\Notification"

    private let configuration: ReaderMonitor
    private let emit: @Sendable (ReaderEvent) -> Void
    private let cancelled = Atomic<Bool>(false)
    /// The live context, guarded so `cancel()` never races its release.
    private let context = Mutex<SCARDCONTEXT?>(nil)

    init(configuration: ReaderMonitor, emit: @escaping @Sendable (ReaderEvent) -> Void) {
        self.configuration = configuration
        self.emit = emit
    }

    var isCancelled: Bool { cancelled.load(ordering: .relaxed) }

    func cancel() {
        cancelled.store(true, ordering: .relaxed)
        context.withLock { if let handle = $0 { SCardCancel(handle) } }
    }

    private struct Known {
        var state: DWORD = DWORD(SCARD_STATE_UNAWARE)
        var cardPresent = false
        var unavailable = false
    }

    func run() {
        var known: [String: Known] = [:]
        var pnpState = DWORD(SCARD_STATE_UNAWARE)
        var backoff = configuration.initialBackoff
        var outage = false

        while !isCancelled {
            configuration.heartbeat?.beat()
            guard let handle = establish() else {
                if !outage {
                    outage = true
                    emit(.pcscUnavailable(code: .noService))
                }
                pause(backoff)
                backoff = min(backoff * 2, configuration.maximumBackoff)
                continue
            }
            if outage {
                outage = false
                emit(.pcscRestored)
            }
            backoff = configuration.initialBackoff

            let error = watch(handle, known: &known, pnpState: &pnpState)
            releaseContext()
            guard let error, !isCancelled else { continue }
            // pcscd went away: everything it knew is gone with it.
            for (name, reader) in known.sorted(by: { $0.key < $1.key }) {
                if reader.cardPresent { emit(.cardRemoved(reader: name)) }
                emit(.readerRemoved(name))
            }
            known = [:]
            pnpState = DWORD(SCARD_STATE_UNAWARE)
            outage = true
            emit(.pcscUnavailable(code: error.code))
            pause(backoff)
        }
        releaseContext()
    }

    private func establish() -> SCARDCONTEXT? {
        guard let handle = try? PCSCContext.establishBlocking() else { return nil }
        context.withLock { $0 = handle }
        if isCancelled {
            releaseContext()
            return nil
        }
        return handle
    }

    private func releaseContext() {
        context.withLock { handle in
            if let value = handle { SCardReleaseContext(value) }
            handle = nil
        }
    }

    /// Waits for changes until cancelled (nil) or pcscd is lost (the error).
    private func watch(_ handle: SCARDCONTEXT, known: inout [String: Known], pnpState: inout DWORD) -> PCSCError? {
        while !isCancelled {
            // The reader list: report arrivals and departures.
            let names: [String]
            do {
                names = try PCSCContext.listReadersBlocking(handle).filter(accepts)
            } catch let error as PCSCError {
                if error.isServiceLost || error.code == .invalidHandle { return error }
                names = []
            } catch {
                names = []
            }
            for gone in known.keys.filter({ !names.contains($0) }).sorted() {
                if known[gone]!.cardPresent { emit(.cardRemoved(reader: gone)) }
                emit(.readerRemoved(gone))
                known[gone] = nil
            }
            for name in names where known[name] == nil {
                known[name] = Known()
                emit(.readerAdded(name))
            }

            // Wait for the next change, carrying the last seen states.
            let watched = [Self.pnpReader] + names
            let cNames = watched.map { strdup($0)! }
            defer { cNames.forEach { free($0) } }
            var states = watched.indices.map { index -> SCARD_READERSTATE in
                var state = SCARD_READERSTATE()
                state.szReader = UnsafePointer(cNames[index])
                state.dwCurrentState = index == 0 ? pnpState : known[watched[index]]!.state
                return state
            }
            let timeout =
                DWORD(configuration.waitTimeout.components.seconds * 1000)
                + DWORD(configuration.waitTimeout.components.attoseconds / 1_000_000_000_000_000)
            let status = SCardGetStatusChange(handle, timeout, &states, DWORD(states.count))
            configuration.heartbeat?.beat()
            switch status {
            case SCARD_S_SUCCESS:
                break
            case SCARD_E_TIMEOUT:
                continue
            case SCARD_E_CANCELLED:
                if isCancelled { return nil }
                continue
            case SCARD_E_UNKNOWN_READER, SCARD_E_READER_UNAVAILABLE:
                continue  // a reader left between listing and waiting: list again
            default:
                let error = PCSCError(status: status, operation: "SCardGetStatusChange")
                if error.isServiceLost || error.code == .invalidHandle { return error }
                pause(.milliseconds(200))
                continue
            }
            pnpState = states[0].dwEventState & ~DWORD(SCARD_STATE_CHANGED)
            for index in 1..<states.count {
                let name = watched[index]
                let event = states[index].dwEventState
                guard event & DWORD(SCARD_STATE_CHANGED) != 0, var reader = known[name] else { continue }
                reader.state = event & ~DWORD(SCARD_STATE_CHANGED)
                let present = event & DWORD(SCARD_STATE_PRESENT) != 0 && event & DWORD(SCARD_STATE_MUTE) == 0
                let unavailable = event & DWORD(SCARD_STATE_UNAVAILABLE) != 0
                if unavailable && !reader.unavailable { emit(.readerUnavailable(name)) }
                reader.unavailable = unavailable
                if present && !reader.cardPresent {
                    let atr = withUnsafeBytes(of: states[index].rgbAtr) { Array($0.prefix(Int(states[index].cbAtr))) }
                    emit(.cardInserted(reader: name, atr: atr))
                } else if !present && reader.cardPresent {
                    emit(.cardRemoved(reader: name))
                }
                reader.cardPresent = present
                known[name] = reader
            }
        }
        return nil
    }

    private func accepts(_ name: String) -> Bool {
        guard let filter = configuration.readerFilter, !filter.isEmpty else { return true }
        // Reader names are ASCII in practice; a filter is matched without regard to case.
        return name.lowercased().contains(filter.lowercased())
    }

    /// Sleeps in short steps so cancellation is prompt.
    private func pause(_ duration: Duration) {
        var remaining = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        while remaining > 0, !isCancelled {
            let step = min(remaining, 0.05)
            DetachedThread.sleep(seconds: step)
            remaining -= step
        }
    }
}
