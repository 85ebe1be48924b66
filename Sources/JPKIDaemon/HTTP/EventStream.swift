import JPKIAPI
import NIOCore
import NIOHTTP1

/// `GET /v1/events` as server-sent events: `id:`, `event:` and `data:` (JSON) per event, a
/// comment every 15 s, and a final `event: overflow` when the client fell behind (its stream then
/// ends; it should read the state again and reconnect with `Last-Event-ID`). A write that does
/// not complete within `writeTimeout` (a client that stopped reading) closes the connection.
struct EventStream {
    let items: AsyncStream<EventBus.Item>
    let writeTimeout: Duration
    let keepAlive: Duration

    typealias Writer = NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>

    func run(to outbound: Writer, channel: any Channel) async throws {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "text/event-stream")
        headers.add(name: "cache-control", value: "no-store")
        try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)))
        try await write(": jpkid events\n\n", to: outbound, channel: channel)
        let encoder = APIJSON.encoder()
        let items = self.items
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await item in items {
                    switch item {
                    case .event(let id, let event):
                        guard let data = try? encoder.encode(event) else { continue }
                        try await write(
                            "id: \(id)\nevent: \(event.type)\ndata: \(String(decoding: data, as: UTF8.self))\n\n",
                            to: outbound, channel: channel)
                    case .overflow:
                        try await write(
                            "event: overflow\ndata: {\"type\":\"overflow\"}\n\n", to: outbound, channel: channel)
                    }
                }
            }
            // Keeps proxies and dead peers honest: a peer that left fails this write.
            group.addTask {
                while true {
                    try await Task.sleep(for: keepAlive)
                    try await write(": keep-alive\n\n", to: outbound, channel: channel)
                }
            }
            // Whichever ends first (the stream, or a failed write) ends both.
            defer { group.cancelAll() }
            try await group.next()
        }
        try? await outbound.write(.end(nil))
    }

    /// Writes `text`, closing the connection if the client does not take it in time.
    private func write(_ text: String, to outbound: Writer, channel: any Channel) async throws {
        let watchdog = channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(writeTimeout.nanoseconds))) {
            channel.close(promise: nil)
        }
        defer { watchdog.cancel() }
        try await outbound.write(.body(.byteBuffer(ByteBuffer(string: text))))
    }
}

extension Duration {
    /// The whole duration in nanoseconds (saturating).
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : product + attoseconds / 1_000_000_000
    }
}
