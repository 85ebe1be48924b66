import NIOCore
import NIOHTTP1

/// One keep-alive connection of the load: sends a request, waits for the whole response, records its
/// latency and sends the next, without pipelining, until `end` or until the server ends keep-alive.
/// Completes `done` when the channel closes.
final class LoadConnection: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let head: HTTPRequestHead
    private let warmupEnd: NIODeadline
    private let end: NIODeadline
    private let done: EventLoopPromise<LoadTally>
    private var tally = LoadTally()
    private var sentAt = NIODeadline.uptimeNanoseconds(0)
    private var status = HTTPResponseStatus.ok
    private var bodyBytes = 0
    private var keepAlive = true
    /// A request is out and its response not complete.
    private var waiting = false

    init(head: HTTPRequestHead, warmupEnd: NIODeadline, end: NIODeadline, done: EventLoopPromise<LoadTally>) {
        self.head = head
        self.warmupEnd = warmupEnd
        self.end = end
        self.done = done
    }

    func channelActive(context: ChannelHandlerContext) {
        send(context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let response):
            status = response.status
            keepAlive = response.isKeepAlive
            bodyBytes = 0
        case .body(let buffer):
            bodyBytes += buffer.readableBytes
        case .end:
            waiting = false
            let now = NIODeadline.now()
            if sentAt >= warmupEnd {
                tally.latencies.append(UInt64(max(0, (now - sentAt).nanoseconds)))
                if status != .ok { tally.non200 += 1 }
            }
            tally.bodyBytes = bodyBytes
            // A server that ends keep-alive (Connection: close) gets a new connection from `Load`.
            if now < end && keepAlive { send(context: context) } else { context.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        tally.errors += 1
        waiting = false
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        // Closed by the server under a request (a refused or dropped connection).
        if waiting { tally.errors += 1 }
        done.succeed(tally)
        context.fireChannelInactive()
    }

    private func send(context: ChannelHandlerContext) {
        waiting = true
        sentAt = .now()
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
