import FoundationEssentials
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// The textfile mode: every `interval` the exposition is written to `path` for node_exporter's
/// textfile collector (jpkid runs with `PrivateNetwork=yes`: nothing can scrape it over TCP).
///
/// Each write goes to `<path>.tmp.<pid>` in the same directory, is synced, and is renamed over
/// `path`: a reader sees the old file or the new one, always whole. The file is mode 0644 (the
/// unit's `UMask=0077` would hide it from node_exporter). A failed write is logged once (and
/// once more when writing works again) and tried again next interval; it never stops jpkid.
public struct MetricsTextfile: Sendable {
    public let path: String
    public let interval: Duration
    let metrics: DaemonMetrics
    let logger: Logger

    public init(path: String, interval: Duration, metrics: DaemonMetrics, logger: Logger) {
        self.path = path
        self.interval = interval
        self.metrics = metrics
        self.logger = logger
    }

    /// The writer the configuration asks for, if any.
    init?(_ configuration: Configuration, metrics: DaemonMetrics, logger: Logger) {
        guard let path = configuration.metricsTextfile else { return nil }
        self.init(
            path: path, interval: .seconds(configuration.metricsTextfileIntervalSeconds), metrics: metrics,
            logger: logger)
    }

    /// Writes now and then every `interval`, until cancelled.
    public func run() async {
        logger.notice("writing metrics to a textfile", metadata: ["path": "\(path)", "interval": "\(interval)"])
        var failing = false
        while !Task.isCancelled {
            do {
                try write()
                if failing { logger.notice("metrics textfile written again", metadata: ["path": "\(path)"]) }
                failing = false
            } catch {
                if !failing {
                    logger.error(
                        "cannot write the metrics textfile", metadata: ["path": "\(path)", "error": "\(error)"])
                }
                failing = true
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// Writes the exposition once.
    public func write() throws {
        try Self.replace(path, with: metrics.exposition())
    }

    /// Replaces `path` atomically with `bytes` (mode 0644): a temporary file beside it, written
    /// whole, synced, then renamed over it.
    static func replace(_ path: String, with bytes: [UInt8]) throws {
        let temporary = "\(path).tmp.\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw TextfileError("open", temporary) }
        var renamed = false
        defer { if !renamed { unlink(temporary) } }
        do {
            defer { close(fd) }
            guard fchmod(fd, 0o644) == 0 else { throw TextfileError("fchmod", temporary) }
            var written = 0
            while written < bytes.count {
                let n = bytes.withUnsafeBytes { raw in
                    Glibc.write(fd, raw.baseAddress! + written, raw.count - written)
                }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw TextfileError("write", temporary)
                }
                written += n
            }
            guard fsync(fd) == 0 else { throw TextfileError("fsync", temporary) }
        }
        guard rename(temporary, path) == 0 else { throw TextfileError("rename", path) }
        renamed = true
    }
}

/// A failed step of writing the metrics textfile, with the system's reason.
struct TextfileError: Error, CustomStringConvertible {
    let description: String
    init(_ call: String, _ path: String, errno code: Int32 = errno) {
        description = "\(call) \(path): \(String(cString: strerror(code)))"
    }
}
