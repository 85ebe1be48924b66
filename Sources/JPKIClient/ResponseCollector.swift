import FoundationEssentials
import NIOCore
import NIOHTTP1
import Synchronization

/// Completes a promise once, whichever of the connection, the parser or a timer is first.
final class Completion<Value: Sendable>: Sendable {
    let promise: EventLoopPromise<Value>
    private let done = Mutex(false)

    init(_ promise: EventLoopPromise<Value>) { self.promise = promise }

    func succeed(_ value: Value) {
        if take() { promise.succeed(value) }
    }

    func fail(_ error: ClientError) {
        if take() { promise.fail(error) }
    }

    private func take() -> Bool {
        done.withLock { done in
            defer { done = true }
            return !done
        }
    }
}

/// Sends one request and collects its answer: the whole body up to `maxBodyBytes`, within the
/// request deadline, with no silence longer than the read timeout (``ClientLimits``).
final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let request: ClientRequest
    private let completion: Completion<UnixHTTPClient.Response>
    private let limits: ClientLimits
    private var head: HTTPResponseHead?
    private var body = ByteBuffer()
    private var deadline: Scheduled<Void>?

    init(_ request: ClientRequest, _ completion: Completion<UnixHTTPClient.Response>, limits: ClientLimits) {
        self.request = request
        self.completion = completion
        self.limits = limits
    }

    func channelActive(context: ChannelHandlerContext) {
        let completion = self.completion
        let limit = limits.requestDeadline
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: TimeAmount(limit)) {
            completion.fail(.timedOut("answer", limit))
            channel.close(promise: nil)
        }
        request.write(to: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let received):
            head = received
            if let length = received.headers.first(name: "content-length").flatMap(Int.init),
                length > limits.maxBodyBytes
            {
                fail(.tooLarge("the answer", limits.maxBodyBytes), context)
            }
        case .body(var chunk):
            guard body.readableBytes + chunk.readableBytes <= limits.maxBodyBytes else {
                return fail(.tooLarge("the answer", limits.maxBodyBytes), context)
            }
            body.writeBuffer(&chunk)
        case .end:
            guard let head else { return fail(.malformed("no status line"), context) }
            deadline?.cancel()
            completion.succeed(UnixHTTPClient.Response(head, body: Data(body.readableBytesView)))
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            fail(.timedOut("answer", limits.readTimeout), context)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(ClientError.from(error, connected: true, limits: limits), context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        completion.fail(.malformed(head == nil ? "no response" : "the answer ended early"))
        context.fireChannelInactive()
    }

    private func fail(_ error: ClientError, _ context: ChannelHandlerContext) {
        deadline?.cancel()
        completion.fail(error)
        context.close(promise: nil)
    }
}
