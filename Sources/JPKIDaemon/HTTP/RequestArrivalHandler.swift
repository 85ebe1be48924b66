import NIOCore
import NIOHTTP1

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
