import ArgumentParser
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// An HTTP/1.1 load generator over a Unix socket: C keep-alive connections, one request at a time each.
struct Load: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "HTTP/1.1 GET load over a Unix socket: keep-alive, no pipelining, fixed duration.",
        discussion: """
            Prints one line per socket: LABEL requests=N seconds=S rps=R p50_ms=.. p90_ms=.. p99_ms=.. max_ms=.. \
            non200=N errors=N body_bytes=N. Latency is from writing a request to the end of its response; \
            percentiles are exact (nearest rank over every recorded sample). Responses to requests sent \
            during the warm-up are not counted. With two or more sockets, a last line gives the first's \
            request rate as a share of the last's: share FIRST/LAST=X.
            """)

    @Option(name: .customLong("socket"), help: "A server's Unix socket; repeat to measure several, one after another.")
    var sockets: [String]

    @Option(help: "The request target.")
    var path = "/v1/readers"

    @Option(help: "Concurrent keep-alive connections.")
    var connections = 64

    @Option(help: "Measured seconds (after the warm-up).")
    var duration = 10.0

    @Option(help: "Warm-up seconds, not counted.")
    var warmup = 1.0

    @Option(help: "Event-loop threads of the load generator.")
    var threads = 1

    @Option(name: .customLong("label"), help: "A label for each socket's output line (default: the socket path).")
    var labels: [String] = []

    func validate() throws {
        guard !sockets.isEmpty else { throw ValidationError("give at least one --socket") }
        guard labels.isEmpty || labels.count == sockets.count else {
            throw ValidationError("give one --label per --socket, or none")
        }
        guard (1...10_000).contains(connections) else { throw ValidationError("connections must be 1...10000") }
        guard duration > 0, duration <= 3600, warmup >= 0, warmup <= 600 else {
            throw ValidationError("duration must be in (0, 3600] and warmup in [0, 600] seconds")
        }
        guard (1...64).contains(threads) else { throw ValidationError("threads must be 1...64") }
        guard path.hasPrefix("/"), !path.contains(where: \.isWhitespace) else {
            throw ValidationError("path must start with / and hold no whitespace")
        }
    }

    func run() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        var rates: [Double] = []
        for (index, socket) in sockets.enumerated() {
            let label = labels.isEmpty ? socket : labels[index]
            rates.append(await measure(socket: socket, label: label, group: group))
        }
        try await group.shutdownGracefully()
        // The first server's rate as a share of the last's (jpkid / nginx).
        if rates.count >= 2, let first = rates.first, let last = rates.last, last > 0 {
            let names = labels.isEmpty ? sockets : labels
            print("share \(names[0])/\(names[names.count - 1])=\(String(format: "%.3f", first / last))")
        }
    }

    /// Runs the load against one server, prints its line and returns its request rate.
    private func measure(socket: String, label: String, group: MultiThreadedEventLoopGroup) async -> Double {
        var headers = HTTPHeaders()
        headers.add(name: "host", value: "localhost")
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
        let warmupEnd = NIODeadline.now() + .nanoseconds(Int64(warmup * 1e9))
        let end = warmupEnd + .nanoseconds(Int64(duration * 1e9))
        let total = await withTaskGroup(of: LoadTally.self) { tasks in
            for _ in 0..<connections {
                tasks.addTask {
                    await Self.drive(socket: socket, group: group, head: head, warmupEnd: warmupEnd, end: end)
                }
            }
            var total = LoadTally()
            for await tally in tasks { total.merge(tally) }
            return total
        }
        let seconds = Double((min(NIODeadline.now(), end) - warmupEnd).nanoseconds) / 1e9
        let sorted = total.latencies.sorted()
        let rate = Double(sorted.count) / max(seconds, 1e-9)
        func milliseconds(_ fraction: Double) -> String {
            LoadTally.percentile(fraction, ofSorted: sorted).map { String(format: "%.3f", $0) } ?? "-"
        }
        print(
            "\(label) requests=\(sorted.count) seconds=\(String(format: "%.2f", seconds))"
                + " rps=\(String(format: "%.0f", rate))"
                + " p50_ms=\(milliseconds(0.5)) p90_ms=\(milliseconds(0.9)) p99_ms=\(milliseconds(0.99))"
                + " max_ms=\(milliseconds(1.0)) non200=\(total.non200) errors=\(total.errors)"
                + " body_bytes=\(total.bodyBytes)")
        return rate
    }

    /// One connection slot: connects, runs requests until `end`, and reconnects when the server closes
    /// the connection early (after 10 ms when that was an error, so a refusing server is not spun on).
    private static func drive(
        socket: String, group: MultiThreadedEventLoopGroup, head: HTTPRequestHead, warmupEnd: NIODeadline,
        end: NIODeadline
    ) async -> LoadTally {
        var tally = LoadTally()
        while NIODeadline.now() < end {
            let loop = group.next()
            let done = loop.makePromise(of: LoadTally.self)
            let bootstrap = ClientBootstrap(group: loop)
                .connectTimeout(.seconds(5))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(
                            LoadConnection(head: head, warmupEnd: warmupEnd, end: end, done: done))
                    }
                }
            let errorsBefore = tally.errors
            do {
                _ = try await bootstrap.connect(unixDomainSocketPath: socket).get()
                tally.merge(try await done.futureResult.get())
            } catch {
                done.fail(error)
                tally.errors += 1
            }
            if tally.errors > errorsBefore, NIODeadline.now() < end { try? await Task.sleep(for: .milliseconds(10)) }
        }
        return tally
    }
}
