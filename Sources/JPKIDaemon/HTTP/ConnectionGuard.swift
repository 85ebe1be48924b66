import NIOCore

/// Watches one connection's phases on its event loop and closes it when a phase lasts too long.
///
/// A request that has started to arrive must be complete within `headerTimeout` (slow-header
/// clients); between requests a keep-alive connection may stay idle for `idleTimeout`. While a
/// request is handled, or an event stream is open, no timer runs here: card operations have their
/// own bounds, and a stream its write timeout. On graceful shutdown an idle connection closes at
/// once; a busy one, or a stream, gets `grace` to finish (the daemon ends its streams then).
///
/// One timer, rescheduled lazily: a phase change only notes when the phase began, and the timer,
/// when it fires, closes the connection or waits for the current phase's end. A keep-alive client's
/// requests change phase several times each; a timer scheduled and cancelled at every change
/// cost about a seventh of the time of a cached status answer.
final class ConnectionGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    enum Phase { case idle, receiving, handling, streaming, closing }

    private let headerTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    private var grace = TimeAmount.zero
    private var phase = Phase.idle
    private var phaseBegan = NIODeadline.uptimeNanoseconds(0)
    /// Requests received and not yet answered.
    private var inFlight = 0
    /// The timer, and when it fires: at or before the current phase's end.
    private var timer: (task: Scheduled<Void>, at: NIODeadline)?
    private var context: ChannelHandlerContext?

    init(headerTimeout: Duration, idleTimeout: Duration) {
        self.headerTimeout = .nanoseconds(headerTimeout.nanoseconds)
        self.idleTimeout = .nanoseconds(idleTimeout.nanoseconds)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        enter(.idle)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.task.cancel()
        timer = nil
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // The header timer is looked at once the read is done: a request that came whole has
        // been taken by then (`requestReceived`) and needs none.
        if phase == .idle { enter(.receiving, timing: false) }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if phase == .receiving { keepTime() }
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.task.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    /// The whole request is in: it is being handled. Requests are counted: the next one of a
    /// keep-alive or pipelining client can arrive before the answer to the last is accounted.
    func requestReceived() {
        inFlight += 1
        guard phase != .closing else { return }
        enter(.handling)
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
        enter(.idle)
    }

    /// The answer is an event stream: it stays open, with no timer, until it ends.
    func streamStarted() {
        guard phase != .closing else { return }
        enter(.streaming)
    }

    /// Graceful shutdown: close now unless a request is being handled; that one gets `grace`.
    func shutDown(grace: Duration) {
        switch phase {
        case .idle, .receiving:
            context?.close(promise: nil)
        case .handling, .streaming:
            self.grace = .nanoseconds(grace.nanoseconds)
            enter(.closing)
        case .closing:
            break
        }
    }

    private func enter(_ next: Phase, timing: Bool = true) {
        phase = next
        guard let context else { return }
        phaseBegan = context.eventLoop.now
        if timing { keepTime() }
    }

    /// Makes sure the timer fires by the current phase's end.
    private func keepTime() {
        guard let context, let end = phaseEnd else { return }
        // A timer that fires at or before this phase's end looks again then.
        if let timer, timer.at <= end { return }
        schedule(at: end, context)
    }

    /// When the current phase has lasted too long; nil when it may last.
    private var phaseEnd: NIODeadline? {
        switch phase {
        case .idle: phaseBegan + idleTimeout
        case .receiving: phaseBegan + headerTimeout
        case .closing: phaseBegan + grace
        case .handling, .streaming: nil
        }
    }

    private func schedule(at deadline: NIODeadline, _ context: ChannelHandlerContext) {
        timer?.task.cancel()
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        timer = (context.eventLoop.scheduleTask(deadline: deadline) { loopBound.value.fired() }, deadline)
    }

    private func fired() {
        timer = nil
        guard let context, let end = phaseEnd else { return }
        if context.eventLoop.now >= end {
            context.close(promise: nil)
        } else {
            schedule(at: end, context)
        }
    }
}
