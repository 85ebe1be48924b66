import ErrorCodes
import HTTPServing
import JPKIAPI
import Logging
import NIOCore
import NIOHTTP1
import Secrets
import Synchronization

/// One connection's requests, answered from its event loop: the last handler of its pipeline.
///
/// What memory holds (the cached reader list, the documents, every refusal) is answered at once,
/// on the loop, with no task. A request that must wait (one that may reach a card, health) runs
/// in a task of its own that the connection's close cancels, so an operation nobody waits for any
/// more stops before its VERIFY (the card layer checks for cancellation right before sending a
/// PIN). An event stream is handed to ``EventStream`` and has no task either.
///
/// Why handlers and not `NIOAsyncChannel` (which the staff page server and the client use): a
/// connection served by a task holds that task's frames for as long as it is open, about 10 KiB,
/// and a kiosk holds its event streams open for days. NIO's pipelining handler gives this handler
/// one request at a time: the next is held until the answer's end is written.
final class APIConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = CollectedRequest
    typealias OutboundOut = HTTPServerResponsePart

    private let server: HTTPServer
    private let peer: PeerCredentials
    /// Group membership is decided once per connection (and again after a reload).
    private let access: ConnectionAccess
    private let watch: ConnectionGuard
    private var context: ChannelHandlerContext?
    /// The connection's key in the server's ``OpenConnections``.
    private var registration: Int?

    private enum State {
        case idle
        /// A request runs in this task; its answer comes back to the loop.
        case running(Task<Void, Never>)
        case streaming(EventStream)
        /// The connection is being closed: nothing more is read or answered.
        case closing
    }
    private var state = State.idle
    /// Requests in, not yet served. NIO's pipelining handler hands over the next request only
    /// once an answer's end is written, and it does so from inside that write: such a request
    /// waits here and is served by the loop in ``serveWaiting(_:)``, not from inside the write
    /// (pipelined requests answered each inside the last one's write nested without bound).
    private var waiting: [CollectedRequest] = []
    private var serving = false
    /// The client shut its sending side: close once the answers are out.
    private var inputClosed = false
    /// The last answer's write, so a close waits for it (a full close drops pending writes).
    private var lastWrite: EventLoopFuture<Void>?
    private var released = false

    /// For an admitted connection: from its close on, its slots in the server's
    /// ``ConnectionTable`` and its ``OpenConnections`` entry are given back.
    init(server: HTTPServer, peer: PeerCredentials, watch: ConnectionGuard) {
        self.server = server
        self.peer = peer
        self.access = ConnectionAccess(peer: peer)
        self.watch = watch
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        registration = server.open.add(watch, of: context.channel)
        server.trim.opened()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        release()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        release()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            inputClosed = true
            // A half-closed client still gets the answers it waits for (and a stream goes on).
            if case .idle = state, waiting.isEmpty, !serving { closeAfterWrites(context) }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Bytes the client sent behind its event-stream request that are not HTTP: replayed as
        // a parse error when the stream's request handling leaves; like later bytes, dropped.
        if case .streaming = state, error is HTTPParserError { return }
        server.logger.debug("connection ended", metadata: ["error": "\(type(of: error))"])
        close(context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let item = unwrapInboundIn(data)
        guard case .idle = state else {
            // After a stream started, or once closing: dropped, its body wiped.
            if case .request(_, var body) = item { body.wipe() }
            return
        }
        // The whole request is in: the header timeout stops now, however long it then runs.
        watch.requestReceived()
        waiting.append(item)
        serveWaiting(context)
    }

    /// Serves the requests that wait, one after another, while the connection is idle.
    private func serveWaiting(_ context: ChannelHandlerContext) {
        guard !serving else { return }
        serving = true
        while case .idle = state, !waiting.isEmpty { serve(waiting.removeFirst(), context) }
        serving = false
        if case .idle = state, inputClosed { closeAfterWrites(context) }
    }

    private func serve(_ item: CollectedRequest, _ context: ChannelHandlerContext) {
        let started = ContinuousClock.now
        let head: HTTPRequestHead
        var body: [UInt8]
        switch item {
        case .refused(let refusedHead, _):
            // The collector refuses only a body over the cap (no head checks here).
            let error = APIError(
                .payloadTooLarge, "the body is larger than \(server.limits.bodyBytes) bytes", status: .payloadTooLarge)
            if let refusedHead { server.handler.metrics.request(refusedHead, .error(error), since: started) }
            send(.error(error), keepAlive: false, context)
            return
        case .request(let requestHead, var collected):
            head = requestHead
            body = Array(collected.readableBytesView)
            collected.wipe()
        }
        // The target is split and the route found once, for the handler and the metrics.
        let (path, query) = RequestTarget.split(head.uri)
        let match = APIRoute.match(head.method, path)
        let route = match.template(path: path)
        let answer = server.handler.answerNow(
            APIRequest(
                method: head.method, path: path, query: query, headers: head.headers, body: body, peer: peer,
                access: access), match)
        if let answer {
            body.wipe()
            answered(answer, head: head, route: route, since: started, context)
            return
        }
        // The body goes to the task in a box it is wiped in once the handler is done with it.
        let box = WipedBody(body)
        body = []
        let request = RequestParts(head: head, route: route, started: started)
        let handler = server.handler
        let (peer, access) = (self.peer, self.access)
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        let task = Task {
            let apiRequest = APIRequest(
                method: head.method, path: path, query: query, headers: head.headers, body: box.bytes, peer: peer,
                access: access)
            let response = await handler.handle(apiRequest, match)
            _ = consume apiRequest
            box.wipe()
            eventLoop.execute { loopBound.value.taskAnswered(response, request) }
        }
        state = .running(task)
    }

    /// What the request a task ran needs once its answer is back.
    private struct RequestParts: Sendable {
        let head: HTTPRequestHead
        let route: String
        let started: ContinuousClock.Instant
    }

    private func taskAnswered(_ response: APIResponse, _ request: RequestParts) {
        guard case .running = state, let context else {
            // The client left: the answer is counted, not written.
            server.handler.metrics.request(route: request.route, request.head.method, response, since: request.started)
            return
        }
        state = .idle
        answered(response, head: request.head, route: request.route, since: request.started, context)
        serveWaiting(context)
    }

    private func answered(
        _ response: APIResponse, head: HTTPRequestHead, route: String, since started: ContinuousClock.Instant,
        _ context: ChannelHandlerContext
    ) {
        server.handler.metrics.request(route: route, head.method, response, since: started)
        guard case .events(let after) = response else {
            send(response, keepAlive: head.isKeepAlive, context)
            return
        }
        startStream(after: after, context)
    }

    private func startStream(after: UInt64?, _ context: ChannelHandlerContext) {
        guard !released else { return }
        let connections = server.connections
        guard connections.admitStream(peer.uid) else {
            server.refused(peer, .eventStreams)
            let refusal = ConnectionTable.Refusal.eventStreams
            send(
                .error(APIError(.tooManyConnections, refusal.message, status: .serviceUnavailable)), keepAlive: false,
                context)
            return
        }
        server.handler.metrics.eventStreamOpened()
        watch.streamStarted()
        let (pid, logger, channel) = (peer.pid, server.logger, context.channel)
        let stream = EventStream(
            context: context, writeTimeout: server.limits.eventWriteTimeout, keepAlives: server.keepAlives)
        // The state first: a client already gone closes the channel inside the first write,
        // and its close must find the stream to stop it and give its slot back.
        state = .streaming(stream)
        stream.start(bus: server.handler.events, after: after) {
            // The client fell behind: the stream ends with `overflow`; a client that does
            // not read even that is cut off shortly.
            logger.notice("event stream overflowed; closing it", metadata: ["pid": "\(pid)"])
            channel.eventLoop.scheduleTask(in: .seconds(2)) { channel.close(promise: nil) }
        }
        if case .streaming = state { Self.dropRequestHandling(context.pipeline, after: watch) }
    }

    /// A stream reads no more requests: the handlers that decode and check them leave its
    /// pipeline (about 1.5 KiB of each idle stream's cost), and what the client still sends is
    /// dropped (``DroppedInput``). The response encoder stays. The decoder leaves on the next
    /// tick, after its leftovers; the others then, in the order the leftovers pass them.
    private static func dropRequestHandling(_ pipeline: ChannelPipeline, after watch: ConnectionGuard) {
        let handlers = pipeline.syncOperations
        guard let decoder = try? handlers.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self) else { return }
        handlers.removeHandler(decoder).assumeIsolated().whenSuccess {
            do {
                try handlers.addHandler(DroppedInput(), position: .after(watch))
                try handlers.removeHandler(handlers.handler(type: HTTPServerPipelineHandler.self), promise: nil)
                try handlers.removeHandler(handlers.handler(type: HTTPServerProtocolErrorHandler.self), promise: nil)
                try handlers.removeHandler(handlers.handler(type: NIOHTTPResponseHeadersValidator.self), promise: nil)
                try handlers.removeHandler(handlers.handler(type: HTTPRequestCollector.self), promise: nil)
            } catch {
                // The channel closed meanwhile: nothing is left to trim.
            }
        }
    }

    /// Writes a whole answer in one flush.
    private func send(_ response: APIResponse, keepAlive: Bool, _ context: ChannelHandlerContext) {
        guard case .body(let status, let contentType, let bytes, var headers) = response else { return }
        headers.add(name: "content-type", value: contentType)
        headers.add(name: "content-length", value: String(bytes.count))
        if !headers.contains(name: "cache-control") { headers.add(name: "cache-control", value: "no-store") }
        if !keepAlive { headers.add(name: "connection", value: "close") }
        let stays = keepAlive && !inputClosed
        // Settled before the end is written: NIO's pipelining handler hands over the next
        // request from inside that write.
        state = stays ? .idle : .closing
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: bytes)))), promise: nil)
        let written = context.eventLoop.makePromise(of: Void.self)
        lastWrite = written.futureResult
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        watch.responseSent()
        guard !stays else { return }
        if keepAlive {
            // The client half-closed: the connection closes once the answer is out.
            closeAfterWrites(context)
        } else {
            // A full close drops writes still pending (apple/swift-nio#2795): an answer over
            // ~32 KB was cut. The half-close waits for them (bounded: a client that stops reading
            // is closed at the idle timeout).
            context.close(mode: .output, promise: nil)
        }
    }

    /// Closes once the last answer is written (a full close drops pending writes).
    private func closeAfterWrites(_ context: ChannelHandlerContext) {
        end()
        guard let lastWrite else { return context.close(promise: nil) }
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        lastWrite.whenComplete { _ in loopBound.value.close(promise: nil) }
    }

    private func close(_ context: ChannelHandlerContext) {
        end()
        context.close(promise: nil)
    }

    /// The connection is going: the running request is cancelled, the stream unsubscribed and
    /// its slot given back, the requests waiting dropped.
    private func end() {
        switch state {
        case .running(let task):
            task.cancel()
        case .streaming(let stream):
            stream.stop()
            server.connections.releaseStream(peer.uid)
            server.handler.metrics.eventStreamClosed()
        case .idle, .closing:
            break
        }
        state = .closing
        for case .request(_, var body) in waiting { body.wipe() }
        waiting.removeAll()
    }

    /// Gives the connection's slots back, once.
    private func release() {
        guard !released else { return }
        released = true
        end()
        server.connections.release(peer.uid)
        if let registration { server.open.remove(registration) }
        server.trim.closed()
    }
}

/// What a client sends on an event stream's connection once its request is in: dropped, wiped.
private final class DroppedInput: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Only what was read is overwritten, in place (the receive buffer is NIO's, kept for
        // the next read: a copy-on-write copy would leave the bytes in it).
        unwrapInboundIn(data).withUnsafeReadableBytes { UnsafeMutableRawBufferPointer(mutating: $0).wipe() }
    }
}

/// A request body on its way to a task, wiped once the handler is done with it.
private final class WipedBody: Sendable {
    private let storage: Mutex<[UInt8]>

    init(_ bytes: [UInt8]) { storage = Mutex(bytes) }

    var bytes: [UInt8] { storage.withLock { $0 } }

    /// Overwrites the bytes in place (when no copy of them is left elsewhere).
    func wipe() { storage.withLock { $0.wipe() } }
}
