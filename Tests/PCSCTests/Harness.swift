import CardSimulator
import Foundation
import PCSC
import Testing

/// Integration tests need root, pcscd and vsmartcard-vpcd; `scripts/test.sh` sets this.
let pcscTestsEnabled = ProcessInfo.processInfo.environment["JPKID_PCSC_TESTS"] == "1"

/// Drives `scripts/pcsc-harness.sh` (the same harness the README's scripts use).
final class Harness: Sendable {
    let directory: URL
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    private init(directory: URL) { self.directory = directory }

    /// A private pcscd with the vpcd reader; no card yet.
    static func start() async throws -> Harness {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("jpki-it-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let harness = Harness(directory: dir)
        try await harness.run("start")
        return harness
    }

    func run(_ command: String, _ arguments: [String] = []) async throws {
        let script = Self.root.appendingPathComponent("scripts/pcsc-harness.sh").path
        let status = await Self.spawnAndWait([script, command, directory.path] + arguments)
        guard status == 0 else { throw HarnessError(message: "pcsc-harness.sh \(command) exited \(status)") }
    }

    /// posix_spawn + waitpid on a thread of its own. (Foundation's Process waits for a pipe that
    /// the harness's long-lived children inherit, so it would not see the script end.)
    static func spawnAndWait(_ argv: [String]) async -> Int32 {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                var pid: pid_t = 0
                let cArgs = argv.map { strdup($0) } + [nil]
                defer { cArgs.forEach { free($0) } }
                // The test runner's threads block some signals; its children must not inherit
                // that, or pcscd would ignore the SIGTERM that stops it.
                var attributes = posix_spawnattr_t()
                posix_spawnattr_init(&attributes)
                defer { posix_spawnattr_destroy(&attributes) }
                var empty = sigset_t()
                sigemptyset(&empty)
                var all = sigset_t()
                sigfillset(&all)
                posix_spawnattr_setsigmask(&attributes, &empty)
                posix_spawnattr_setsigdefault(&attributes, &all)
                posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
                guard posix_spawn(&pid, argv[0], nil, &attributes, cArgs, environ) == 0 else {
                    continuation.resume(returning: -1)
                    return
                }
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                let exited = status & 0x7F == 0
                continuation.resume(returning: exited ? (status >> 8) & 0xFF : 128 + (status & 0x7F))
            }
            thread.start()
        }
    }

    func insertCard(_ arguments: [String] = []) async throws { try await run("sim-start", arguments) }
    func removeCard() async throws { try await run("sim-stop") }
    func stopPCSCD() async throws { try await run("pcscd-stop") }
    func startPCSCD() async throws { try await run("pcscd-start") }

    func stop() async {
        try? await run("stop")
        try? FileManager.default.removeItem(at: directory)
    }

    var stateFile: URL { directory.appendingPathComponent("card.json") }

    /// The simulator's APDU trace so far.
    func trace() throws -> [SimulatedCard.TraceEntry] {
        let url = directory.appendingPathComponent("trace.jsonl")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map {
            try JSONDecoder().decode(SimulatedCard.TraceEntry.self, from: Data($0.utf8))
        }
    }

    /// The card as the simulator last saved it.
    func cardImage() throws -> CardImage {
        try JSONDecoder().decode(CardImage.self, from: Data(contentsOf: stateFile))
    }

    /// Runs `body` with a fresh harness and always stops it.
    static func with<T: Sendable>(_ body: (Harness) async throws -> T) async throws -> T {
        let harness = try await Harness.start()
        do {
            let result = try await body(harness)
            await harness.stop()
            return result
        } catch {
            await harness.stop()
            throw error
        }
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Collects monitor events in the background so tests can wait for one with a deadline.
actor EventLog {
    private(set) var events: [ReaderEvent] = []
    private var task: Task<Void, Never>?

    func start(_ monitor: ReaderMonitor) {
        task = Task {
            for await event in monitor {
                self.append(event)
            }
        }
    }

    private func append(_ event: ReaderEvent) { events.append(event) }

    func stop() { task?.cancel() }

    /// Waits until an event after index `from` matches; returns its index.
    func wait(
        from: Int = 0, timeout: Duration = .seconds(15), _ predicate: @Sendable (ReaderEvent) -> Bool
    ) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let index = events.indices.first(where: { $0 >= from && predicate(events[$0]) }) { return index }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw HarnessError(message: "no matching event within \(timeout); saw \(events)")
    }
}
