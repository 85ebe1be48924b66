import Foundation
import Logging
import Synchronization
import Testing

@testable import JPKIDaemon

@Suite("Metrics textfile mode", .serialized)
struct MetricsTextfileTests {
    func temporaryDirectory() throws -> URL {
        let url = URL(fileURLWithPath: "/tmp").appendingPathComponent("jpkid-textfile-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A reader loop reads the file while the writer replaces it 150 times: every read
    /// is a whole exposition (it parses, ends with a newline, has every sample), never a part.
    @Test func everyReadSeesAWholeFile() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("jpkid.prom").path
        let metrics = DaemonMetrics()
        // Some hundred KB, so a write in place would be seen half done.
        for i in 0..<400 {
            metrics.request(route: "/v1/route\(i)", method: "GET", status: 200, duration: .milliseconds(i))
        }
        // Parsed in full once; the reads below check every line's shape and the line count (a
        // full parse of each read would let too few reads happen meanwhile).
        let expected = try Exposition(String(decoding: metrics.exposition(), as: UTF8.self)).samples.count
        let lines = metrics.exposition().split(separator: 0x0A).count
        #expect(expected > 6000)
        #expect(metrics.exposition().count > 100_000)
        let writer = MetricsTextfile(
            path: path, interval: .seconds(1), metrics: metrics, logger: Logger(label: "test"))
        try writer.write()
        let done = StopFlag()
        let reads = try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask {
                try await onThread {
                    var reads = 0
                    while !done.isSet {
                        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
                        try Self.checkWhole(bytes, lines: lines, read: reads)
                        reads += 1
                    }
                    return reads
                }
            }
            group.addTask {
                for i in 0..<150 {
                    metrics.cardInserted()
                    metrics.request(route: "/v1/route\(i)", method: "GET", status: 200, duration: .milliseconds(1))
                    try writer.write()
                    await Task.yield()
                }
                done.set()
                return 0
            }
            var total = 0
            for try await count in group { total += count }
            return total
        }
        #expect(reads > 20, "the reader read \(reads) times")
        let final = try Exposition(try String(contentsOfFile: path, encoding: .utf8))
        #expect(final.value("jpkid_cards_inserted_total") == 150)
        // Readable for node_exporter (Tests/system/metrics.sh checks it under the unit's umask
        // 0077); no temporary file left behind.
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o644)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["jpkid.prom"])
    }

    /// `bytes` ends with a newline, has `lines` lines, and each is a comment or ends in a number.
    static func checkWhole(_ bytes: [UInt8], lines: Int, read: Int) throws {
        let split = bytes.split(separator: 0x0A)
        guard bytes.last == 0x0A, split.count == lines else {
            throw FixtureError("read \(read): \(split.count) of \(lines) lines, last byte \(bytes.last ?? 0)")
        }
        for line in split where line.first != UInt8(ascii: "#") {
            guard let space = line.lastIndex(of: 0x20),
                Double(String(decoding: line[line.index(after: space)...], as: UTF8.self)) != nil
            else { throw FixtureError("read \(read): bad line \(String(decoding: line, as: UTF8.self))") }
        }
    }

    /// A directory that is not there: the error names the call and the path, nothing is left,
    /// and the loop goes on, logging once, until it can write.
    @Test func aFailedWriteIsLoggedOnceAndRetried() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = directory.appendingPathComponent("later")
        let path = missing.appendingPathComponent("jpkid.prom").path
        #expect(throws: TextfileError.self) { try MetricsTextfile.replace(path, with: Array("a 1\n".utf8)) }
        let capture = LogCapture()
        let writer = MetricsTextfile(
            path: path, interval: .milliseconds(20), metrics: DaemonMetrics(),
            logger: Logger(label: "test") { capture.handler(label: $0) })
        let task = Task { await writer.run() }
        let deadline = ContinuousClock.now + .seconds(30)
        func wait(_ what: String, _ condition: () -> Bool) async throws {
            while !condition() {
                guard ContinuousClock.now < deadline else { throw FixtureError("timed out: \(what)") }
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        try await wait("the failure is logged") { capture.text.contains("cannot write the metrics textfile") }
        // Several more tries meanwhile, but one line.
        let tries = capture.lines.withLock { $0.count }
        try await Task.sleep(for: .milliseconds(100))
        #expect(capture.lines.withLock { $0.count } == tries)
        #expect(capture.text.contains("No such file or directory"))
        try FileManager.default.createDirectory(at: missing, withIntermediateDirectories: true)
        try await wait("the file appears") { FileManager.default.fileExists(atPath: path) }
        try await wait("recovery is logged") { capture.text.contains("metrics textfile written again") }
        task.cancel()
        await task.value
        #expect(try Exposition(try String(contentsOfFile: path, encoding: .utf8)).value("jpkid_pcsc_available") == 1)
    }

    @Test func theDaemonWritesTheConfiguredTextfile() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("jpkid.prom").path
        let fixture = try DaemonFixture {
            $0.metricsTextfile = path
            $0.metricsTextfileIntervalSeconds = 1
        }
        try await DaemonFixture.with(fixture) { d in
            try await d.eventually("the textfile shows the card") {
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return false }
                return try Exposition(text).value("jpkid_card_reads_total", ["result": "ok"]) == 1
            }
        }
    }

    @Test func configurationKeysAreValidated() throws {
        var configuration = Configuration()
        #expect(configuration.metricsTextfile == nil)
        #expect(configuration.metricsTextfileIntervalSeconds == 15)
        configuration.metricsTextfile = "/var/lib/prometheus/node-exporter/jpkid.prom"
        try configuration.validate()
        for bad in ["jpkid.prom", "/var/lib/prometheus/node-exporter/jpkid.txt"] {
            configuration.metricsTextfile = bad
            #expect(throws: ConfigurationError.self) { try configuration.validate() }
        }
        configuration.metricsTextfile = nil
        for bad in [0.5, 3601] {
            configuration.metricsTextfileIntervalSeconds = bad
            #expect(throws: ConfigurationError.self) { try configuration.validate() }
        }
        // From the file, and flags over the file ("" turns the textfile off).
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("jpkid.json").path
        try #"{"metricsTextfile": "/tmp/x/jpkid.prom", "metricsTextfileIntervalSeconds": 30}"#.write(
            toFile: file, atomically: true, encoding: .utf8)
        let loaded = try Configuration.load(path: file, required: true)
        #expect(loaded.metricsTextfile == "/tmp/x/jpkid.prom")
        #expect(loaded.metricsTextfileIntervalSeconds == 30)
        var overrides = Configuration.Overrides()
        overrides.metricsTextfile = ""
        overrides.metricsTextfileIntervalSeconds = 5
        let overridden = try Configuration.load(path: file, required: true, overrides: overrides)
        #expect(overridden.metricsTextfile == nil)
        #expect(overridden.metricsTextfileIntervalSeconds == 5)
    }
}

/// A flag one task sets and another polls.
final class StopFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
