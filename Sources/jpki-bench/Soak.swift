import ArgumentParser
import CProcessHardening
import CardSimulator
import Foundation
import JPKIAPI
import JPKIDaemon
import JPKIDaemonSimulation
import Logging

/// Insert/remove cycles on an in-process jpkid (the daemon's registry, sessions, view board, event
/// bus and HTTP server, with the simulated card source instead of pcscd), printing the process's
/// RSS before and after: memory that grows with insertions shows here in seconds, where pcscd's
/// 400 ms poll makes 10,000 real cycles take hours.
struct Soak: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soak",
        abstract: "Insert/remove cycles on an in-process jpkid with a simulated card; prints RSS before and after.",
        discussion: """
            Prints: soak cycles=N seconds=S rss_before_kib=.. rss_after_kib=.. heap_in_use_before=.. heap_in_use_after=.. (bytes; and a line per --every cycles). \
            "before" is taken after --warmup cycles, so one-time allocations (the first card's views, \
            caches) are not counted as growth. An event subscriber reads every event, as a kiosk app does.
            """)

    @Option(help: "Measured insert/remove cycles.")
    var cycles = 10_000

    @Option(help: "Cycles before the first RSS sample (not counted).")
    var warmup = 200

    @Option(help: "Print RSS every this many cycles (0: only before and after).")
    var every = 1000

    @Option(
        help: """
            Seconds to wait after the cycles before the last figures: a card read's timeout timer \
            (cardTimeoutSeconds) holds its task until it would have fired, even when cancelled.
            """)
    var settle = 0.0

    func validate() throws {
        guard cycles > 0, warmup >= 0, every >= 0, settle >= 0 else {
            throw ValidationError("cycles > 0; warmup, every and settle >= 0")
        }
    }

    func run() async throws {
        ServiceRuntime.configure()  // as jpkid starts
        let directory = "/tmp/jpki-bench-soak-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let socket = directory + "/jpkid.sock"
        let source = SimulatedCardSource(card: try SimulatedCard(image: try CardBuilder.build(Scenario())))
        var configuration = Configuration()
        configuration.socket = socket
        let daemon = Daemon(
            configuration: configuration, configurationPath: nil, source: source,
            binding: .path(socket, socketGroup: nil), logger: Logger(label: "soak") { _ in SwiftLogNoOpLogHandler() },
            notify: SDNotify(environment: [:]))
        let running = Task { try? await daemon.run() }
        defer { running.cancel() }
        let events = daemon.events.subscribe()
        var iterator = events.makeAsyncIterator()
        // Waits for the named event (the subscriber drains everything before it).
        func next(_ type: String) async throws {
            while let item = await iterator.next() {
                if case .event(_, let event) = item, event.type == type { return }
            }
            throw ValidationError("the event stream ended before \(type)")
        }
        try await next("card-ready")
        var before = 0
        var heapBefore: UInt = 0
        let start = ContinuousClock.now
        for cycle in 1...(warmup + cycles) {
            // The simulated card keeps a trace of every APDU it answers: that is the simulator's
            // memory, not the daemon's.
            source.card.clearTrace()
            source.removeCard()
            try await next("card-removed")
            source.insertCard()
            try await next("card-ready")
            if cycle == warmup {
                (before, heapBefore) = (Self.rssKiB(), jpkid_heap_in_use())
                print("soak warmup=\(warmup) rss_kib=\(before) heap_in_use=\(heapBefore)")
            } else if every > 0, cycle > warmup, (cycle - warmup) % every == 0 {
                print("soak cycle=\(cycle - warmup) rss_kib=\(Self.rssKiB()) heap_in_use=\(jpkid_heap_in_use())")
            }
        }
        if warmup == 0 { (before, heapBefore) = (Self.rssKiB(), jpkid_heap_in_use()) }
        let seconds = Double((ContinuousClock.now - start).components.seconds)
        if settle > 0 {
            print("soak cycles=\(cycles) rss_kib=\(Self.rssKiB()) heap_in_use=\(jpkid_heap_in_use()) (before settling)")
            try await Task.sleep(for: .seconds(settle))
        }
        print(
            "soak cycles=\(cycles) seconds=\(Int(seconds)) rss_before_kib=\(before) rss_after_kib=\(Self.rssKiB())"
                + " heap_in_use_before=\(heapBefore) heap_in_use_after=\(jpkid_heap_in_use())")
    }

    /// VmRSS of this process in KiB.
    static func rssKiB() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ")[1]) ?? 0
        }
        return 0
    }
}
