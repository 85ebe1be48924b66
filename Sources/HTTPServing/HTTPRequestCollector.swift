import NIOCore
import NIOHTTP1

/// A whole request as ``HTTPRequestCollector`` passes it on, or why none is.
public enum CollectedRequest: Sendable {
    /// The head and the body (empty when there was none). The body may hold a PIN: its holder
    /// copies out what it needs and wipes it (``NIOCore/ByteBuffer/wipe()``).
    case request(HTTPRequestHead, body: ByteBuffer)
    /// The request was refused; `head` when it had arrived.
    case refused(HTTPRequestHead?, RequestRefusal)
}

/// Why a request was not passed on.
public enum RequestRefusal: Sendable, Equatable {
    /// The head broke a rule (``HTTPRequestCollector/Rules``) or could not be parsed: `400`.
    case malformed
    /// The body (by its `Content-Length` or as it came) or the head is over the limit: `413`.
    case tooLarge
    /// The request had not fully arrived within the collector's deadline.
    case timedOut
}

/// Turns NIO's request parts into whole requests, for the handler or `NIOAsyncChannel` after it: the body is
/// collected up to ``RequestLimits/bodyBytes`` and everything collected that is not handed on is
/// wiped. Sits after NIO's request decoder.
///
/// A body over the cap is never collected further; what had come is wiped. The refusal is passed
/// on at once (``Rules/oneRequest``: the client is answered without sending the rest) or when the
/// request ends (a keep-alive server that reads what the client sends before answering).
public final class HTTPRequestCollector: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPServerRequestPart
    public typealias InboundOut = CollectedRequest

    /// What a server asks of its requests beyond NIO's decoding.
    public struct Rules: Sendable {
        public var bodyBytes: Int
        /// The server answers one request and closes: a refusal is passed on at once (a body over
        /// the cap as soon as that is known), and after the request or a refusal everything the
        /// client sends is ignored (a decoding error then closes the connection).
        public var oneRequest: Bool
        /// The head checks (see ``HTTPRequestCollector/strictHead(_:)``); none by default.
        public var checkHead: @Sendable (HTTPRequestHead) -> RequestRefusal?
        /// Answer the decoder's errors as refusals (`headerOverflow` as `tooLarge`, the rest
        /// `malformed`) instead of passing the error on.
        public var refuseParserErrors: Bool
        /// A request not fully arrived this long after the connection is set up is refused
        /// (``RequestRefusal/timedOut``); nil: no deadline here.
        public var deadline: TimeAmount?

        public init(
            bodyBytes: Int, oneRequest: Bool = false,
            checkHead: @escaping @Sendable (HTTPRequestHead) -> RequestRefusal? = { _ in nil },
            refuseParserErrors: Bool = false, deadline: TimeAmount? = nil
        ) {
            self.bodyBytes = bodyBytes
            self.oneRequest = oneRequest
            self.checkHead = checkHead
            self.refuseParserErrors = refuseParserErrors
            self.deadline = deadline
        }
    }

    private enum State {
        /// Waiting for a head.
        case idle
        case collecting(HTTPRequestHead)
        /// A refusal waits for the request's end (or was sent already, with `oneRequest`).
        case refusing(HTTPRequestHead?, RequestRefusal)
        /// A one-request server's request or refusal went on: the rest of the input is ignored.
        case done
    }

    private let rules: Rules
    private var state = State.idle
    private var body = ByteBuffer()
    private var timer: Scheduled<Void>?

    public init(_ rules: Rules) { self.rules = rules }

    public func handlerAdded(context: ChannelHandlerContext) {
        guard let deadline = rules.deadline else { return }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: deadline) {
            let (collector, context) = bound.value
            collector.refuse(nil, .timedOut, context)
        }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        body.wipe()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        body.wipe()
        context.fireChannelInactive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case (_, .done):
            return
        case (.head(let head), _):
            body.wipe()
            state = .collecting(head)
            if let refusal = rules.checkHead(head) ?? declaredTooLarge(head) { refuse(head, refusal, context) }
        case (.body(var chunk), .collecting(let head)):
            guard body.readableBytes + chunk.readableBytes <= rules.bodyBytes else {
                body.wipe()
                return refuse(head, .tooLarge, context)
            }
            body.writeBuffer(&chunk)
        case (.body, _):
            return
        case (.end, .collecting(let head)):
            timer?.cancel()
            state = rules.oneRequest ? .done : .idle
            // Moved out, not copied: the receiver holds the only reference and can wipe in place.
            let collected = body
            body = ByteBuffer()
            context.fireChannelRead(wrapInboundOut(.request(head, body: collected)))
        case (.end, .refusing(let head, let refusal)):
            state = .idle
            context.fireChannelRead(wrapInboundOut(.refused(head, refusal)))
        case (.end, .idle):
            return
        }
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard rules.refuseParserErrors else { return context.fireErrorCaught(error) }
        if case .done = state { return context.close(promise: nil) }
        refuse(nil, error as? HTTPParserError == .headerOverflow ? .tooLarge : .malformed, context)
    }

    private func declaredTooLarge(_ head: HTTPRequestHead) -> RequestRefusal? {
        guard let length = head.headers.first(name: "content-length").flatMap(Int.init), length > rules.bodyBytes
        else { return nil }
        return .tooLarge
    }

    private func refuse(_ head: HTTPRequestHead?, _ refusal: RequestRefusal, _ context: ChannelHandlerContext) {
        guard rules.oneRequest || refusal == .timedOut else {
            state = .refusing(head, refusal)
            return
        }
        if case .done = state { return }
        state = .done
        timer?.cancel()
        body.wipe()
        context.fireChannelRead(wrapInboundOut(.refused(head, refusal)))
        context.fireChannelReadComplete()
    }
}

extension HTTPRequestCollector {
    /// The head checks of a server that takes only simple requests: HTTP/1.0 or 1.1, an
    /// origin-form target (`/…`), at most one `Host` and one `Content-Length` (a whole number),
    /// and no `Transfer-Encoding` (a body must say its length).
    public static func strictHead(_ head: HTTPRequestHead) -> RequestRefusal? {
        guard head.version == .http1_1 || head.version == .http1_0, head.uri.hasPrefix("/") else { return .malformed }
        for name in ["host", "content-length"] where head.headers[name].count > 1 { return .malformed }
        guard !head.headers.contains(name: "transfer-encoding") else { return .malformed }
        if let length = head.headers.first(name: "content-length") {
            let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
            let trimmed = length.drop(while: isSpace).reversed().drop(while: isSpace).reversed()
            guard let value = Int(String(trimmed)), value >= 0 else { return .malformed }
        }
        return nil
    }
}
