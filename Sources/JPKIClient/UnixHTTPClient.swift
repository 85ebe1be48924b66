import FoundationEssentials
import NIOCore
import NIOHTTP1
import NIOPosix

/// An HTTP/1.1 client for jpkid's Unix socket, on SwiftNIO's `NIOAsyncChannel`: one request per
/// connection, every wait and buffer bounded by ``ClientLimits``.
///
/// Cancelling the task that waits closes the connection: jpkid then cancels the request (and a
/// PIN in it never goes out if it had not yet), and the call throws `cancelled`.
public struct UnixHTTPClient: Sendable {
    public let socketPath: String
    public let limits: ClientLimits
    /// The event loops the connections run on.
    public let group: any EventLoopGroup

    /// One event-loop thread for every client of this process, started on first use.
    public static let sharedEventLoopGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    public init(
        socketPath: String, limits: ClientLimits = .default,
        group: any EventLoopGroup = UnixHTTPClient.sharedEventLoopGroup
    ) {
        self.socketPath = socketPath
        self.limits = limits
        self.group = group
    }

    /// Sends one request and waits for the whole answer (any status), or throws a ``ClientError``.
    public func send(
        _ method: String, _ path: String, json body: Data? = nil, headers: [(String, String)] = []
    ) async throws(ClientError) -> Response {
        let request = try ClientRequest(method, path, headers: headers, body: body)
        let limits = self.limits
        return try await withConnection(request, silence: "answer", readTimeout: limits.readTimeout) {
            channel, inbound, _ in
            // The whole answer, from connecting to its last byte: a trickle is cut here.
            let deadline = channel.eventLoop.scheduleTask(in: TimeAmount(limits.requestDeadline)) {
                channel.pipeline.fireErrorCaught(ClientError.timedOut("answer", limits.requestDeadline))
            }
            defer { deadline.cancel() }
            var parts = inbound.makeAsyncIterator()
            guard let first = try await parts.next() else { throw ClientError.malformed("no response") }
            guard case .head(let head) = first else { throw ClientError.malformed("no status line") }
            if let length = head.headers.first(name: "content-length").flatMap(Int.init), length > limits.maxBodyBytes {
                throw ClientError.tooLarge("the answer", limits.maxBodyBytes)
            }
            return try await Response.reading(head, from: &parts, limits: limits)
        }
    }

    /// Opens a server-sent event stream and calls `onItem` with each event and keep-alive
    /// comment until it returns false or the stream ends; `onOpen` runs once jpkid has accepted
    /// the stream (every event from then on is delivered). A refusal is returned as the response.
    /// While `onItem` is busy, the client reads ahead at most ``ClientLimits/maxQueuedEvents``
    /// parts of the stream before it stops reading from the socket.
    public func eventStream(
        _ path: String, headers: [(String, String)] = [], onOpen: () async -> Void = {},
        onItem: (EventStreamItem) async -> Bool
    ) async throws(ClientError) -> Response? {
        let request = try ClientRequest("GET", path, headers: headers, body: nil)
        let limits = self.limits
        return try await withConnection(
            request, silence: "send anything on the event stream", readTimeout: limits.eventReadTimeout,
            readAhead: limits.maxQueuedEvents
        ) { _, inbound, _ in
            var parts = inbound.makeAsyncIterator()
            guard let first = try await parts.next() else { throw ClientError.malformed("no response") }
            guard case .head(let head) = first else { throw ClientError.malformed("an event stream out of order") }
            guard head.status == .ok else { return try await Response.reading(head, from: &parts, limits: limits) }
            await onOpen()
            var parser = EventStreamParser(maxEventBytes: limits.maxEventBytes)
            while let part = try await parts.next() {
                switch part {
                case .body(let chunk):
                    for item in try parser.feed(chunk.readableBytesView) {
                        guard await onItem(item) else { return nil }
                    }
                case .end: return nil
                case .head: throw ClientError.malformed("an event stream out of order")
                }
            }
            return nil
        }
    }

    /// ``eventStream(_:headers:onOpen:onItem:)`` for events only: `onEvent(type, data)`.
    public func events(
        _ path: String, onOpen: () async -> Void = {}, onEvent: (String, String) async -> Bool
    ) async throws(ClientError) -> Response? {
        try await eventStream(path, onOpen: onOpen) { item in
            guard case .event(let event) = item else { return true }
            return await onEvent(event.type, event.data)
        }
    }

    /// Connects, sends `request` as the connection comes up (``RequestOnConnect``), runs `body` on
    /// the connection and closes it. `silence` names what did not come within `readTimeout`;
    /// `readAhead` bounds the parts read before the caller takes them.
    private func withConnection<Result: Sendable>(
        _ request: ClientRequest, silence: String, readTimeout: Duration, readAhead: Int? = nil,
        _ body: (any Channel, ClientChannel.Inbound, ClientChannel.Outbound) async throws -> Result
    ) async throws(ClientError) -> Result {
        if Task.isCancelled { throw ClientError(.cancelled, "the request was abandoned") }
        // One cancellation handler over connecting and the whole exchange: a cancel that lands
        // before the connection comes up stops the request in RequestOnConnect; one after it
        // closes the connection (and jpkid cancels the request).
        let abandonment = Abandonment()
        let outcome: Swift.Result<Result, ClientError> = await withTaskCancellationHandler {
            do throws(ClientError) {
                return .success(
                    try await exchange(
                        request, abandonment: abandonment, silence: silence, readTimeout: readTimeout,
                        readAhead: readAhead, body))
            } catch {
                return .failure(error)
            }
        } onCancel: {
            abandonment.abandon()
        }
        return try outcome.get()
    }

    private func exchange<Result: Sendable>(
        _ request: ClientRequest, abandonment: Abandonment, silence: String, readTimeout: Duration, readAhead: Int?,
        _ body: (any Channel, ClientChannel.Inbound, ClientChannel.Outbound) async throws -> Result
    ) async throws(ClientError) -> Result {
        let limits = self.limits
        let connection: ClientChannel
        do {
            connection = try await connect(
                request, abandonment: abandonment, readTimeout: readTimeout, readAhead: readAhead, silence: silence)
        } catch {
            if Task.isCancelled { throw ClientError(.cancelled, "the request was abandoned") }
            throw ClientError.from(error, socketPath: socketPath, limits: limits)
        }
        do {
            return try await connection.executeThenClose { inbound, outbound in
                // Cancelled while connecting: the request was not sent (RequestOnConnect). Cancelled
                // after it went out: the connection closes here, and jpkid cancels the request.
                try Task.checkCancellation()
                return try await body(connection.channel, inbound, outbound)
            }
        } catch {
            if Task.isCancelled { throw ClientError(.cancelled, "the request was abandoned") }
            throw ClientError.from(error, connected: true, limits: limits)
        }
    }

    private func connect(
        _ request: ClientRequest, abandonment: Abandonment, readTimeout: Duration, readAhead: Int?, silence: String
    ) async throws -> ClientChannel {
        let limits = self.limits
        return try await ClientBootstrap(group: group)
            .connectTimeout(TimeAmount(limits.connectTimeout))
            .connect(unixDomainSocketPath: socketPath) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHTTPClientHandlers(decoderLimitConfiguration: limits.decoderLimits)
                    try pipeline.addHandler(IdleStateHandler(readTimeout: TimeAmount(readTimeout)))
                    try pipeline.addHandler(ReadTimeoutHandler(.timedOut(silence, readTimeout)))
                    try pipeline.addHandler(RequestOnConnect(request, abandonment: abandonment))
                    var configuration = ClientChannel.Configuration()
                    if let readAhead {
                        configuration.backPressureStrategy = .init(
                            lowWatermark: max(1, readAhead / 2), highWatermark: max(2, readAhead))
                    }
                    return try ClientChannel(wrappingChannelSynchronously: channel, configuration: configuration)
                }
            }
    }
}

/// A connection to jpkid as the client uses it: response parts in, request parts out.
typealias ClientChannel = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

extension ClientChannel {
    typealias Inbound = NIOAsyncChannelInboundStream<HTTPClientResponsePart>
    typealias Outbound = NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>
}
