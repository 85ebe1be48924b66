import NIOCore
import NIOHTTP1

/// Turns the read silence an `IdleStateHandler` before it reports into the client's timeout
/// error, which ends the connection's inbound stream.
final class ReadTimeoutHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let error: ClientError

    init(_ error: ClientError) { self.error = error }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            context.fireErrorCaught(error)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
