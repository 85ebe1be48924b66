import HTTPServing
import JPKIAPI
import NIOCore
import NIOHTTP1
import Synchronization

/// `GET /v1/events` as server-sent events: `id:`, `event:` and `data:` (JSON) per event, a
/// comment every 15 s, and a final `event: overflow` when the client fell behind (its stream then
/// ends; it should read the state again and reconnect with `Last-Event-ID`). A write that does
/// not complete within `writeTimeout` (a client that stopped reading) closes the connection.
///
/// A stream is written from its connection's event loop and has no task: the bus hands each
/// item to the loop (``Sink``), keep-alives come from one timer of the loop for all its streams
/// (``KeepAliveTimer``), and the connection's close ends the subscription. A kiosk's hundreds of idle streams cost their channels and little more.
final class EventStream {
    private let context: ChannelHandlerContext
    private let writeTimeout: TimeAmount
    private let keepAlives: KeepAliveTimer
    private var endSubscription: (@Sendable () -> Void)?
    private var ended = false
    /// What the bus holds: it queues items onto the event loop.
    private var sink: Sink?
    /// Writes handed to the channel and not yet taken by the client, and the timer that closes
    /// the connection when none of them completes within the write timeout.
    private var pendingWrites = 0
    private var watchdog: Scheduled<Void>?

    static let keepAliveComment = ServerSentEvents.comment("keep-alive")

    init(context: ChannelHandlerContext, writeTimeout: Duration, keepAlives: KeepAliveTimer) {
        self.context = context
        self.writeTimeout = .nanoseconds(writeTimeout.nanoseconds)
        self.keepAlives = keepAlives
    }

    /// Writes the head and the opening comment, then (unless the connection closed meanwhile)
    /// subscribes to `bus` after `lastEventID` and starts the keep-alives. `onOverflow` runs when
    /// the bus cuts the stream. Call ``stop()`` when the connection closes.
    func start(bus: EventBus, after lastEventID: UInt64?, onOverflow: @escaping @Sendable () -> Void) {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "text/event-stream")
        headers.add(name: "cache-control", value: "no-store")
        context.write(
            NIOAny(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))),
            promise: nil)
        write(ServerSentEvents.comment("jpkid events"))
        // A client already gone: the write closed the connection, and stop() ran.
        guard !ended else { return }
        keepAlives.add(self, on: context.eventLoop)
        let sink = Sink(eventLoop: context.eventLoop, capacity: bus.queueSize + 1)
        self.sink = sink
        sink.stream.value = self
        endSubscription = bus.subscribe(sink, after: lastEventID, onOverflow: onOverflow)
    }

    /// The connection closed: no more items, no more keep-alives (and no reference cycle).
    func stop() {
        ended = true
        // Subscribed (and kept alive) once `start` got that far.
        if sink != nil { keepAlives.remove(self, on: context.eventLoop) }
        watchdog?.cancel()
        watchdog = nil
        endSubscription?()
        endSubscription = nil
        sink?.stream.value = nil
        sink = nil
    }

    /// A keep-alive comment (``KeepAliveTimer``).
    func keepAlive() {
        guard !ended else { return }
        write(Self.keepAliveComment)
    }

    /// One item from the bus, on the event loop.
    fileprivate func deliver(_ item: EventBus.Item, done: @escaping @Sendable () -> Void) {
        guard !ended else { return done() }
        let bytes: ByteBuffer
        switch item {
        case .event(let id, let event):
            guard let data = try? APIJSON.encoder().encode(event) else { return done() }
            bytes = ServerSentEvents.event(id: "\(id)", type: event.type, data: String(decoding: data, as: UTF8.self))
        case .overflow:
            bytes = ServerSentEvents.event(id: nil, type: "overflow", data: #"{"type":"overflow"}"#)
        }
        write(bytes, done: done)
    }

    /// The bus ended the stream (overflow, shutdown): the response ends and the connection closes
    /// once that is written (or the write timeout passes).
    fileprivate func finish() {
        guard !ended else { return }
        let context = self.context
        stop()
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let watchdog = context.eventLoop.scheduleTask(in: writeTimeout) { loopBound.value.close(promise: nil) }
        context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil))).whenComplete { _ in
            watchdog.cancel()
            loopBound.value.close(promise: nil)
        }
    }

    /// Writes `bytes`. The client must take some write within the write timeout, counted from
    /// the oldest write it has not taken, or the connection closes: a client that stopped
    /// reading is cut, one that reads slowly is not.
    private func write(_ bytes: ByteBuffer, done: (@Sendable () -> Void)? = nil) {
        pendingWrites += 1
        if watchdog == nil { armWatchdog() }
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenComplete { _ in
            loopBound.value.written()
            done?()
        }
        context.writeAndFlush(NIOAny(HTTPServerResponsePart.body(.byteBuffer(bytes))), promise: written)
    }

    private func written() {
        pendingWrites -= 1
        watchdog?.cancel()
        watchdog = nil
        if pendingWrites > 0, !ended { armWatchdog() }
    }

    private func armWatchdog() {
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        watchdog = context.eventLoop.scheduleTask(in: writeTimeout) { loopBound.value.close(promise: nil) }
    }

    /// The bus's side of a stream: items go to the event loop; the queue is the items handed
    /// over and not yet written to the socket, at most `capacity` (the last slot is the
    /// overflow marker's).
    private final class Sink: EventBus.Sink {
        let eventLoop: any EventLoop
        let capacity: Int
        private let queued = Atomic<Int>(0)
        /// The stream while it is open; on the event loop only.
        let stream: NIOLoopBoundBox<EventStream?>

        init(eventLoop: any EventLoop, capacity: Int) {
            self.eventLoop = eventLoop
            self.capacity = capacity
            self.stream = NIOLoopBoundBox(nil, eventLoop: eventLoop)
        }

        func offer(_ item: EventBus.Item) -> Bool {
            let count = queued.add(1, ordering: .relaxed).newValue
            eventLoop.execute { [self] in
                guard let stream = stream.value else { return written() }
                stream.deliver(item) { [self] in written() }
            }
            return count < capacity - 1
        }

        func finish() {
            eventLoop.execute { [self] in stream.value?.finish() }
        }

        private func written() { queued.subtract(1, ordering: .relaxed) }
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
