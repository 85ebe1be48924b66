import NIOCore

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
