import NIOCore
import NIOHTTP1
import Synchronization

/// Writes the request the moment the connection is up, before anything is read from it.
///
/// jpkid answers a connection over its caps at once (`503 too_many_connections`) and closes it
/// without reading. Written from the caller's task after connecting, the request could come
/// after that answer: NIO's decoder would call the answer unsolicited, or the write would meet
/// the closed socket, and the caller would lose jpkid's reason. Written here, in
/// `channelActive`, it goes out before the first read. A caller that has gone away by then
/// (``Abandonment``) sends nothing: the connection is closed instead.
final class RequestOnConnect: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let request: ClientRequest
    private let abandonment: Abandonment
    private var sent = false

    init(_ request: ClientRequest, abandonment: Abandonment) {
        self.request = request
        self.abandonment = abandonment
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { send(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        send(context)
        // An abandoned request (or a failed write) has closed the channel: no late "active".
        if context.channel.isActive { context.fireChannelActive() }
    }

    private func send(_ context: ChannelHandlerContext) {
        guard !sent else { return }
        sent = true
        guard !abandonment.isAbandoned else { return context.close(promise: nil) }
        for part in request.parts { context.write(wrapOutboundOut(part), promise: nil) }
        context.flush()
    }
}

/// Set when the caller's task is cancelled while connecting: the request is then not sent.
final class Abandonment: Sendable {
    private let flag = Atomic<Bool>(false)
    var isAbandoned: Bool { flag.load(ordering: .acquiring) }
    func abandon() { flag.store(true, ordering: .releasing) }
}
