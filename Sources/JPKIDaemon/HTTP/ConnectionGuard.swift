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

/// Counts open connections and event streams, in all and per user (the peer's uid from
/// `SO_PEERCRED`: a user forking many processes is still one user), so that no local user, root
/// and the kiosk app's included, can fill the table. The last `operatorReserved` slots are only
/// for operator-group members (and root), so an operator's PIN request and the staff page get
/// through a status member's flood.
final class ConnectionTable: Sendable {
    let limit: Int
    let perUser: Int
    let operatorReserved: Int
    let streamsPerUser: Int
    private let counts = Mutex<(total: Int, byUID: [UInt32: Int], streams: [UInt32: Int])>((0, [:], [:]))

    /// Why a connection or a stream was refused: the metric's `reason` label.
    enum Refusal: String, CaseIterable, Sendable {
        case tableFull = "table_full"
        case userCap = "user_cap"
        case reservedForOperators = "reserved_for_operators"
        case eventStreams = "event_streams"

        var message: String {
            switch self {
            case .tableFull: "jpkid has too many open connections; try again"
            case .userCap: "this user has too many open connections to jpkid; close some"
            case .reservedForOperators: "jpkid's remaining connections are kept for operators; try again"
            case .eventStreams: "this user has too many event streams open; close some"
            }
        }
    }

    init(limit: Int, perUser: Int, operatorReserved: Int = 0, streamsPerUser: Int = .max) {
        self.limit = limit
        self.perUser = perUser
        self.operatorReserved = min(operatorReserved, limit)
        self.streamsPerUser = streamsPerUser
    }

    /// Takes a slot for a connection from `uid`; the reason when the table, the user's share or
    /// the non-operators' share is full.
    func admit(_ uid: UInt32, isOperator: Bool) -> Refusal? {
        counts.withLock { c in
            guard c.total < limit else { return .tableFull }
            guard c.byUID[uid, default: 0] < perUser else { return .userCap }
            guard isOperator || c.total < limit - operatorReserved else { return .reservedForOperators }
            c.total += 1
            c.byUID[uid, default: 0] += 1
            return nil
        }
    }

    func release(_ uid: UInt32) {
        counts.withLock { c in
            c.total -= 1
            let left = c.byUID[uid, default: 1] - 1
            c.byUID[uid] = left > 0 ? left : nil
        }
    }

    /// Takes an event-stream slot for `uid` (on top of its connection's); false when the user
    /// has `streamsPerUser` open.
    func admitStream(_ uid: UInt32) -> Bool {
        counts.withLock { c in
            guard c.streams[uid, default: 0] < streamsPerUser else { return false }
            c.streams[uid, default: 0] += 1
            return true
        }
    }

    func releaseStream(_ uid: UInt32) {
        counts.withLock { c in
            let left = c.streams[uid, default: 1] - 1
            c.streams[uid] = left > 0 ? left : nil
        }
    }

    var open: Int { counts.withLock { $0.total } }
}

/// Logs refusals at most once a second per user and reason, with how many were not logged in
/// between: a flood cannot flood the journal, and every refusal is still counted (the metric).
final class RefusalLog: Sendable {
    private let last = Mutex<[String: (at: ContinuousClock.Instant, suppressed: Int)]>([:])
    let interval: Duration

    init(interval: Duration = .seconds(1)) { self.interval = interval }

    /// The number of refusals not logged since the last line, when this one should be logged.
    func shouldLog(uid: UInt32, reason: ConnectionTable.Refusal, now: ContinuousClock.Instant = .now) -> Int? {
        let key = "\(uid)/\(reason.rawValue)"
        return last.withLock { entries in
            if let entry = entries[key], now - entry.at < interval {
                entries[key]?.suppressed += 1
                return nil
            }
            // Bounded: a storm of distinct uids forgets old entries rather than growing.
            if entries.count >= 4096 { entries.removeAll() }
            let suppressed = entries[key]?.suppressed ?? 0
            entries[key] = (now, 0)
            return suppressed
        }
    }
}

/// The whole pipeline of a connection over a cap: `503 too_many_connections` as bytes as soon
/// as the connection is active, then close. Nothing the client sends is read.
final class RefusingHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    static func answer(_ reason: ConnectionTable.Refusal) -> String {
        let body = #"{"error":{"code":"too_many_connections","message":"\#(reason.message)"}}"#
        return "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
            + "content-length: \(body.utf8.count + 1)\r\ncache-control: no-store\r\nconnection: close\r\n\r\n\(body)\n"
    }

    private let reason: ConnectionTable.Refusal
    private var answered = false

    init(_ reason: ConnectionTable.Refusal = .tableFull) { self.reason = reason }

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
        context.writeAndFlush(NIOAny(ByteBuffer(string: Self.answer(reason)))).whenComplete { _ in
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
