import HTTPServing
import JPKIAPI
import NIOCore
import NIOHTTP1

/// `GET /v1/events` as server-sent events: `id:`, `event:` and `data:` (JSON) per event, a
/// comment every 15 s, and a final `event: overflow` when the client fell behind (its stream then
/// ends; it should read the state again and reconnect with `Last-Event-ID`). A write that does
/// not complete within `writeTimeout` (a client that stopped reading) closes the connection.
///
/// One task per stream (the connection's): the keep-alive comments are written from the event
/// loop, and the connection's close ends the subscription, so a stream costs no task of its own.
struct EventStream {
    let items: AsyncStream<EventBus.Item>
    /// Ends `items` (the connection closed).
    let end: @Sendable () -> Void
    let writeTimeout: Duration
    let keepAlive: Duration

    typealias Writer = NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>

    static let keepAliveComment = ServerSentEvents.comment("keep-alive")

    func run(to outbound: Writer, channel: any Channel) async throws {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "text/event-stream")
        headers.add(name: "cache-control", value: "no-store")
        try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)))
        try await write(ServerSentEvents.comment("jpkid events"), to: outbound, channel: channel)
        // A peer that left, or whose keep-alive is not taken in time, closes the channel: that
        // ends the subscription, and with it the loop below.
        let end = self.end
        channel.closeFuture.whenComplete { _ in end() }
        let interval = TimeAmount.nanoseconds(keepAlive.nanoseconds)
        let timeout = TimeAmount.nanoseconds(writeTimeout.nanoseconds)
        let keepAlives = channel.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            let watchdog = channel.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
            let written = channel.eventLoop.makePromise(of: Void.self)
            written.futureResult.whenComplete { _ in watchdog.cancel() }
            channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(Self.keepAliveComment)), promise: written)
        }
        defer { keepAlives.cancel() }
        let encoder = APIJSON.encoder()
        for await item in items {
            switch item {
            case .event(let id, let event):
                guard let data = try? encoder.encode(event) else { continue }
                try await write(
                    ServerSentEvents.event(id: "\(id)", type: event.type, data: String(decoding: data, as: UTF8.self)),
                    to: outbound, channel: channel)
            case .overflow:
                try await write(
                    ServerSentEvents.event(id: nil, type: "overflow", data: #"{"type":"overflow"}"#), to: outbound,
                    channel: channel)
            }
        }
        // Ended by the connection's close: nothing more can be written.
        guard channel.isActive else { return }
        try? await outbound.write(.end(nil))
    }

    /// Writes `bytes`, closing the connection if the client does not take them in time.
    private func write(_ bytes: ByteBuffer, to outbound: Writer, channel: any Channel) async throws {
        let watchdog = channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(writeTimeout.nanoseconds))) {
            channel.close(promise: nil)
        }
        defer { watchdog.cancel() }
        try await outbound.write(.body(.byteBuffer(bytes)))
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
