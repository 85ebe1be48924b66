import CProcessHardening
import NIOCore
import NIOPosix

/// The process-wide runtime of jpkid, sized for a kiosk: a few local clients, one or two readers,
/// months of uptime on a small machine.
public enum ServiceRuntime {
    /// Call once at start, before anything uses SwiftNIO.
    ///
    /// - One event-loop thread (NIO's default is one per core): a kiosk's clients are a handful
    ///   of local processes, the cached status is answered on the loop itself, and card work runs
    ///   elsewhere (Swift concurrency's pool, the PC/SC queue). On 2 cores with a client beside
    ///   it, two loops were descheduled in turn: 32 connections got 40k req/s with a p99 of
    ///   4.3 ms from two loops, 51–56k req/s with a p99 of 1.1–1.3 ms from one.
    /// - One malloc arena. Each thread that allocated got an arena of its own (the unit's
    ///   MALLOC_ARENA_MAX=2 capped them at two), and memory freed into one stayed apart from the
    ///   other: after 500 event streams closed, 8 MiB stayed in the second arena. The daemon's
    ///   few threads share one with little contention.
    public static func configure() {
        NIOSingletons.groupLoopCountSuggestion = 1
        NIOSingletons.blockingPoolThreadCountSuggestion = 1
        _ = jpkid_malloc_arena_max(1)
    }

    /// Unmaps the executable's code pages that start-up mapped, and returns freed heap pages.
    ///
    /// Start-up runs code from all over the 26 MB of code and tables (argument parsing, the
    /// configuration, NIO, the first card read with its X.509 checks), and the kernel maps 64 KiB
    /// around each page touched: about 180 touches left some 18 MiB of the file mapped, most of it
    /// never run again. These are clean pages of the file: the page cache keeps them and a page the
    /// daemon runs again is mapped again on first use (a minor fault). Called when the daemon is
    /// ready and after a card has been read, so an idle daemon holds what it uses when idle.
    /// Returns the bytes of code unmapped (-1 when not possible).
    @discardableResult
    public static func releaseStartupPages() -> Int {
        _ = jpkid_malloc_trim()
        return jpkid_release_executable_text()
    }
}
