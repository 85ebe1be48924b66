import FoundationEssentials
import NIOCore
import NIOHTTP1

/// Sends `GET` for an event stream and feeds what comes back to a sink (``EventQueue``): `opened`
/// and the events as they are parsed, or the refusal (a status other than 200, its body capped).
/// The channel does not read on its own: this handler reads again only while the queue has room.
final class EventStreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private enum State {
        case waiting
        case streaming
        case refused(HTTPResponseHead, ByteBuffer)
        case done
    }

    private let request: ClientRequest
    private let queue: any EventStreamSink
    private let limits: ClientLimits
    private var state = State.waiting
    private var parser: EventStreamParser

    init(_ request: ClientRequest, _ queue: any EventStreamSink, limits: ClientLimits) {
        self.request = request
        self.queue = queue
        self.limits = limits
        parser = EventStreamParser(maxEventBytes: limits.maxEventBytes)
    }

    func channelActive(context: ChannelHandlerContext) {
        request.write(to: context)
        context.read()
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (state, unwrapInboundIn(data)) {
        case (.waiting, .head(let head)):
            if head.status == .ok {
                state = .streaming
                queue.push(.opened)
            } else {
                state = .refused(head, ByteBuffer())
            }
        case (.streaming, .body(let chunk)):
            do {
                let items = try parser.feed(chunk.readableBytesView)
                queue.push(items.map { .item($0) })
            } catch {
                finish(.failed(error), context)
            }
        case (.refused(let head, var body), .body(var chunk)):
            guard body.readableBytes + chunk.readableBytes <= limits.maxBodyBytes else {
                return finish(.failed(.tooLarge("the answer", limits.maxBodyBytes)), context)
            }
            body.writeBuffer(&chunk)
            state = .refused(head, body)
        case (.refused(let head, let body), .end):
            finish(.refused(UnixHTTPClient.Response(head, body: Data(body.readableBytesView))), context)
        case (.streaming, .end):
            finish(.ended, context)
        case (.done, _):
            break
        default:
            finish(.failed(.malformed("an event stream out of order")), context)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if case .done = state { return }
        if queue.wantsMore() { context.read() }
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            finish(.failed(.timedOut("send anything on the event stream", limits.eventReadTimeout)), context)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(.failed(ClientError.from(error, connected: true, limits: limits)), context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        switch state {
        case .streaming: queue.push(.ended)
        case .waiting, .refused: queue.push(.failed(.malformed("no response")))
        case .done: break
        }
        state = .done
        context.fireChannelInactive()
    }

    private func finish(_ part: EventStreamPart, _ context: ChannelHandlerContext) {
        state = .done
        queue.push(part)
        context.close(promise: nil)
    }
}
