import NIOCore

/// Watches one connection's phases on its event loop and closes it when a phase lasts too long.
///
/// A request that has started to arrive must be complete within `headerTimeout` (slow-header
/// clients); between requests a keep-alive connection may stay idle for `idleTimeout`. While a
/// request is handled, or an event stream is open, no timer runs here: card operations have their
/// own bounds, and a stream its write timeout. On graceful shutdown an idle connection closes at
/// once; a busy one, or a stream, gets `grace` to finish (the daemon ends its streams then).
final class ConnectionGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    enum Phase { case idle, receiving, handling, streaming, closing }

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
            // The answer is written: the output closes once it is out (a full close would drop
            // it); the grace timer closes the rest.
            context?.close(mode: .output, promise: nil)
            return
        }
        phase = .idle
        arm(idleTimeout)
    }

    /// The answer is an event stream: it stays open, with no timer, until it ends.
    func streamStarted() {
        guard phase != .closing else { return }
        phase = .streaming
        timer?.cancel()
    }

    /// Graceful shutdown: close now unless a request is being handled; that one gets `grace`.
    func shutDown(grace: Duration) {
        switch phase {
        case .idle, .receiving:
            context?.close(promise: nil)
        case .handling, .streaming:
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
