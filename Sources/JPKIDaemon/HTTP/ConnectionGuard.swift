import NIOCore
import NIOHTTP1
import Synchronization

/// Watches one connection's phases on its event loop and closes it when a phase lasts too long.
///
/// A request that has started to arrive must be complete within `headerTimeout` (slow-header
/// clients); between requests a keep-alive connection may stay idle for `idleTimeout`. While a
/// request is handled no timer runs here: card operations have their own bounds. On graceful
/// shutdown an idle connection closes at once and a busy one gets `grace` to finish.
final class ConnectionGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    enum Phase { case idle, receiving, handling, closing }

    private let headerTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    private var phase = Phase.idle
    /// Requests received and not yet answered.
    private var inFlight = 0
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    init(headerTimeout: Duration, idleTimeout: Duration) {
        self.headerTimeout = .nanoseconds(headerTimeout.nanoseconds)
        self.idleTimeout = .nanoseconds(idleTimeout.nanoseconds)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        arm(idleTimeout)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if phase == .idle {
            phase = .receiving
            arm(headerTimeout)
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        context.fireChannelInactive()
    }

    /// The whole request is in: it is being handled. Requests are counted: the next one of a
    /// keep-alive or pipelining client can arrive before the answer to the last is accounted.
    func requestReceived() {
        inFlight += 1
        guard phase != .closing else { return }
        phase = .handling
        timer?.cancel()
    }

    /// An answer is written: once none is pending, wait for the next request, or close if
    /// shutting down.
    func responseSent() {
        inFlight = max(0, inFlight - 1)
        guard inFlight == 0 else { return }
        if phase == .closing {
            context?.close(promise: nil)
            return
        }
        phase = .idle
        arm(idleTimeout)
    }

    /// Graceful shutdown: close now unless a request is being handled; that one gets `grace`.
    func shutDown(grace: Duration) {
        switch phase {
        case .idle, .receiving:
            context?.close(promise: nil)
        case .handling:
            phase = .closing
            arm(.nanoseconds(grace.nanoseconds))
        case .closing:
            break
        }
    }

    private func arm(_ delay: TimeAmount) {
        timer?.cancel()
        guard let context else { return }
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: delay) { loopBound.value.close(promise: nil) }
    }
}

/// Counts open connections, in all and per client process, so one client cannot take them all.
final class ConnectionTable: Sendable {
    let limit: Int
    let perClient: Int
    private let counts = Mutex<(total: Int, byPID: [Int32: Int])>((0, [:]))

    init(limit: Int, perClient: Int) {
        self.limit = limit
        self.perClient = perClient
    }

    /// Takes a slot for a connection from `pid`; false when the table or the client is full.
    func admit(_ pid: Int32) -> Bool {
        counts.withLock { c in
            guard c.total < limit, c.byPID[pid, default: 0] < perClient else { return false }
            c.total += 1
            c.byPID[pid, default: 0] += 1
            return true
        }
    }

    func release(_ pid: Int32) {
        counts.withLock { c in
            c.total -= 1
            let left = c.byPID[pid, default: 1] - 1
            c.byPID[pid] = left > 0 ? left : nil
        }
    }

    var open: Int { counts.withLock { $0.total } }
}

/// The whole pipeline of a connection over the cap: `503 too_many_connections` as bytes as soon
/// as the connection is active, then close. Nothing the client sends is read.
final class RefusingHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    static let answer: String = {
        let body =
            #"{"error":{"code":"too_many_connections","message":"jpkid has too many open connections; try again"}}"#
        return "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
            + "content-length: \(body.utf8.count + 1)\r\ncache-control: no-store\r\nconnection: close\r\n\r\n\(body)\n"
    }()

    private var answered = false

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { answer(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        answer(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    private func answer(_ context: ChannelHandlerContext) {
        guard !answered else { return }
        answered = true
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(NIOAny(ByteBuffer(string: Self.answer))).whenComplete { _ in
            loopBound.value.close(promise: nil)
        }
    }
}

/// Tells the ``ConnectionGuard`` a request has fully arrived, from the event loop as NIO decodes
/// it: the header timeout stops then, however long the request waits for a task to handle it
/// on a loaded machine.
final class RequestArrivalHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    private let watch: ConnectionGuard

    init(_ watch: ConnectionGuard) { self.watch = watch }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .end = unwrapInboundIn(data) { watch.requestReceived() }
        context.fireChannelRead(data)
    }
}
