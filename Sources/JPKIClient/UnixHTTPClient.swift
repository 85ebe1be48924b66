import FoundationEssentials
import NIOCore
import NIOHTTP1
import NIOPosix

/// An HTTP/1.1 client for jpkid's Unix socket, on SwiftNIO: one request per connection, every
/// wait and buffer bounded by ``ClientLimits``.
///
/// `response` gives a future (for code on an event loop); `send` and `eventStream` block the
/// calling thread (for jpkictl and other threads that are not an event loop).
public struct UnixHTTPClient: Sendable {
    public let socketPath: String
    public let limits: ClientLimits
    let group: any EventLoopGroup

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

    /// Sends one request; the future holds the whole answer (any status) or a ``ClientError``.
    /// When `abandoned` completes first, the connection is closed (jpkid cancels the request)
    /// and the future fails with `cancelled`.
    public func response(
        _ method: String, _ path: String, json body: Data? = nil, headers: [(String, String)] = [],
        abandoned: EventLoopFuture<Void>? = nil
    ) -> EventLoopFuture<Response> {
        let loop = group.next()
        let completion = Completion(loop.makePromise(of: Response.self))
        let request: ClientRequest
        do {
            request = try ClientRequest(method, path, headers: headers, body: body)
        } catch {
            completion.fail(error)
            return completion.promise.futureResult
        }
        let limits = self.limits
        let connecting = connect(on: loop, autoRead: true) { ResponseCollector(request, completion, limits: limits) }
        connecting.whenFailure { completion.fail(ClientError.from($0, socketPath: socketPath, limits: limits)) }
        // The caller's own client left: close the connection, so jpkid cancels the request (and a
        // PIN in it never goes out) instead of finishing it for nobody.
        abandoned?.whenComplete { _ in
            completion.fail(ClientError(.cancelled, "the request was abandoned"))
            connecting.whenSuccess { $0.close(promise: nil) }
        }
        return completion.promise.futureResult
    }

    /// Sends one request and waits for the whole answer. Not on an event loop.
    public func send(_ method: String, _ path: String, json body: Data? = nil) throws(ClientError) -> Response {
        do {
            return try response(method, path, json: body).wait()
        } catch let error as ClientError {
            throw error
        } catch {
            throw ClientError.from(error, socketPath: socketPath, limits: limits)
        }
    }

    /// Opens a server-sent event stream and calls `onItem` with each event and keep-alive
    /// comment until it returns false or the stream ends; `onOpen` runs once jpkid has accepted
    /// the stream (every event from then on is delivered). A refusal is returned as the response.
    /// Blocks the calling thread, which must not be an event loop.
    public func eventStream(
        _ path: String, headers: [(String, String)] = [], onOpen: () -> Void = {},
        onItem: (EventStreamItem) -> Bool
    ) throws(ClientError) -> Response? {
        let request = try ClientRequest("GET", path, headers: headers, body: nil)
        let queue = EventQueue(capacity: limits.maxQueuedEvents)
        let limits = self.limits
        let connecting = connect(on: group.next(), autoRead: false) {
            EventStreamHandler(request, queue, limits: limits)
        }
        connecting.whenFailure { queue.push(.failed(ClientError.from($0, socketPath: socketPath, limits: limits))) }
        defer { connecting.whenSuccess { $0.close(promise: nil) } }
        // The event loop's read timeout ends a silent stream; this only guards against a loop
        // that does not deliver even that.
        let patience = TimeInterval(max(limits.connectTimeout, limits.eventReadTimeout).components.seconds) + 5
        while true {
            guard let (part, resume) = queue.take(before: Date(timeIntervalSinceNow: patience)) else {
                throw ClientError.timedOut("send anything on the event stream", limits.eventReadTimeout)
            }
            if resume { connecting.whenSuccess { $0.read() } }
            switch part {
            case .opened: onOpen()
            case .item(let item): if !onItem(item) { return nil }
            case .refused(let response): return response
            case .ended: return nil
            case .failed(let error): throw error
            }
        }
    }

    /// Opens a server-sent event stream for code on an event loop: `onPart` runs on the client's
    /// event loop for every part, the last one final (``EventStreamPart``). Close the channel
    /// the future gives to end the stream early.
    public func eventStream(
        _ path: String, headers: [(String, String)] = [], onPart: @escaping @Sendable (EventStreamPart) -> Void
    ) -> EventLoopFuture<any Channel> {
        let loop = group.next()
        let sink = CallbackSink(onPart)
        let request: ClientRequest
        do {
            request = try ClientRequest("GET", path, headers: headers, body: nil)
        } catch {
            sink.push(.failed(error))
            return loop.makeFailedFuture(error)
        }
        let limits = self.limits
        let connecting = connect(on: loop, autoRead: false) { EventStreamHandler(request, sink, limits: limits) }
        connecting.whenFailure { sink.push(.failed(ClientError.from($0, socketPath: socketPath, limits: limits))) }
        return connecting
    }

    /// ``eventStream(_:headers:onOpen:onItem:)`` for events only: `onEvent(type, data)`.
    public func events(
        _ path: String, onOpen: () -> Void = {}, onEvent: (String, String) -> Bool
    ) throws(ClientError) -> Response? {
        try eventStream(path, onOpen: onOpen) { item in
            guard case .event(let event) = item else { return true }
            return onEvent(event.type, event.data)
        }
    }

    private func connect(
        on loop: any EventLoop, autoRead: Bool, _ handler: @escaping @Sendable () -> some ChannelHandler
    ) -> EventLoopFuture<any Channel> {
        let limits = self.limits
        let readTimeout = autoRead ? limits.readTimeout : limits.eventReadTimeout
        return ClientBootstrap(group: loop)
            .connectTimeout(TimeAmount(limits.connectTimeout))
            .channelOption(.autoRead, value: autoRead)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHTTPClientHandlers(decoderLimitConfiguration: limits.decoderLimits)
                    try pipeline.addHandler(IdleStateHandler(readTimeout: TimeAmount(readTimeout)))
                    try pipeline.addHandler(handler())
                }
            }
            .connect(unixDomainSocketPath: socketPath)
    }
}
