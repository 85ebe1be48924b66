import FoundationEssentials
import JPKIClient
import NIOCore
import NIOHTTP1

/// One connection to the staff page's server: one request, read whole within 10 s (a client
/// sending a byte at a time cannot keep a slot), checked (Host, session, CSRF token, Origin:
/// ``StaffUIAccess``), answered, closed. An answer the client does not take within 10 s closes
/// the connection; an event stream is relayed from jpkid until either side ends it or the
/// browser falls behind. When the browser leaves before its answer, the request to jpkid is
/// closed too (jpkid then cancels it: a PIN in it never reaches the card).
final class StaffUIConnection: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let server: StaffUIServer
    /// The peer's uid (the page's user or root), for the per-user stream cap.
    private let uid: UInt32
    private var request: StaffUIRequest?
    private var body = ByteBuffer()
    /// The request is read (or refused): later input is ignored.
    private var finished = false
    private var responded = false
    private var timer: Scheduled<Void>?

    init(server: StaffUIServer, uid: UInt32) {
        self.server = server
        self.uid = uid
    }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: StaffUIServer.ioTimeout) { [self] in
            refuse(.malformed, context)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !finished else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            do {
                let parsed = try StaffUIRequest(head: head)
                guard parsed.headers["transfer-encoding"] == nil else { return refuse(.malformed, context) }
                let length = parsed.headers["content-length"].map { Int($0) } ?? 0
                guard let length, length >= 0 else { return refuse(.malformed, context) }
                guard length <= StaffUIRequest.maxBodyBytes else { return refuse(.tooLarge, context) }
                request = parsed
            } catch {
                refuse(error, context)
            }
        case .body(var chunk):
            guard body.readableBytes + chunk.readableBytes <= StaffUIRequest.maxBodyBytes else {
                return refuse(.tooLarge, context)
            }
            body.writeBuffer(&chunk)
        case .end:
            guard var request else { return refuse(.malformed, context) }
            timer?.cancel()
            finished = true
            request.body = Data(body.readableBytesView)
            // The body may hold a PIN: the received bytes are overwritten once copied out.
            Self.wipe(&body)
            dispatch(request, context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !finished else { return context.close(promise: nil) }
        refuse(error as? HTTPParserError == .headerOverflow ? .tooLarge : .malformed, context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        context.fireChannelInactive()
    }

    private func dispatch(_ request: StaffUIRequest, _ context: ChannelHandlerContext) {
        let line = "\(StaffUIServer.loggable(request.method)) \(StaffUIServer.loggable(request.path))"
        switch server.access.decide(request) {
        case .forbidden:
            server.log("\(line) 403")
            return answer(.plain(403, "forbidden: open the page with 'jpkictl ui --open'"), context)
        case .launch:
            let response = launch(request)
            server.log("\(line) \(response.status)")
            return answer(response, context)
        case .allowed:
            break
        }
        if request.method == "GET", request.path == "/api/events" {
            server.log("GET /api/events 200")
            return relayEvents(lastEventID: request.headers["last-event-id"], context)
        }
        let log = server.log
        let csrf = server.access.session(request)?.csrf
        // The browser leaving (its connection closing) abandons the request to jpkid.
        let abandoned = context.channel.closeFuture
        server.routes.respond(to: request, csrf: csrf, abandoned: abandoned, on: context.eventLoop).assumeIsolated()
            .whenSuccess { [self] response in
                guard context.channel.isActive else {
                    return log("\(line) abandoned: the browser left; the request to jpkid was closed")
                }
                answer(response, context)
                log("\(line) \(response.status)")
            }
    }

    /// `POST /session` with `ticket=…`: spends the ticket (its launcher file goes), sets the
    /// session cookie and sends the browser on to `/` in place (``StaffUIRoutes/launchPage``).
    private func launch(_ request: StaffUIRequest) -> StaffUIResponse {
        let form = StaffUIRequest.splitTarget("/?" + String(decoding: request.body, as: UTF8.self)).1
        guard let ticket = form["ticket"], let session = server.access.redeem(ticket) else {
            return .plain(403, "this page link was used or has expired: run 'jpkictl ui --open' again")
        }
        server.forget(ticket)
        var response = StaffUIRoutes.launchPage
        response.extraHeaders.append(
            ("Set-Cookie", "\(server.access.cookieName)=\(session.cookie); Path=/; HttpOnly; SameSite=Strict"))
        return response
    }

    private func refuse(_ error: StaffUIRequest.ParseError, _ context: ChannelHandlerContext) {
        finished = true
        let status = error == .tooLarge ? 413 : 400
        server.log("- - \(status)")
        answer(.plain(status, "bad request"), context)
    }

    /// Writes `response` and closes, whether or not the client takes it within the I/O timeout.
    private func answer(_ response: StaffUIResponse, _ context: ChannelHandlerContext) {
        guard !responded else { return }
        finished = true
        responded = true
        timer?.cancel()
        let channel = context.channel
        let watchdog = context.eventLoop.scheduleTask(in: StaffUIServer.ioTimeout) { channel.close(promise: nil) }
        context.write(wrapOutboundOut(.head(response.head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: response.body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            watchdog.cancel()
            channel.close(promise: nil)
        }
    }

    /// Relays jpkid's event stream as it comes (ids, events, keep-alive comments). When jpkid
    /// cannot be reached the page is told and retries; a browser that left, or holds more than
    /// the channel's write buffer unread, ends the relay.
    private func relayEvents(lastEventID: String?, _ context: ChannelHandlerContext) {
        let uid = self.uid
        guard server.admitStream(uid) else { return answer(.plain(503, "too many event streams"), context) }
        responded = true
        let server = self.server
        let channel = context.channel
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/event-stream")
        headers.add(name: "Connection", value: "close")
        StaffUIResponse.addSecurityHeaders(&headers)
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "retry: 1000\n\n")))), promise: nil)

        @Sendable func send(_ text: String, last: Bool = false) {
            guard channel.isActive else { return }
            guard channel.isWritable else { return channel.close(promise: nil) }
            if !text.isEmpty {
                channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: text))), promise: nil)
            }
            if last {
                channel.writeAndFlush(HTTPServerResponsePart.end(nil)).whenComplete { _ in channel.close(promise: nil) }
            } else {
                channel.flush()
            }
        }
        let valid = lastEventID.flatMap { UInt64($0) }.map { [("Last-Event-ID", String($0))] } ?? []
        // jpkid comments every 15 s: the client's read timeout ends a stream that falls silent.
        let stream = server.jpkid.eventStream("/v1/events", headers: valid) { part in
            switch part {
            case .opened: break
            case .item(.event(let event)): send(event.wireForm)
            case .item(.keepAlive): send(": keep-alive\n\n")
            case .refused(let refusal): send("event: refused\ndata: {\"status\":\(refusal.status)}\n\n", last: true)
            case .ended: send("", last: true)
            case .failed: send("event: unreachable\ndata: {}\n\n", last: true)
            }
        }
        channel.closeFuture.whenComplete { _ in
            server.releaseStream(uid)
            stream.cancel()
        }
    }

    /// Overwrites a buffer's bytes (a PIN may be among them) and empties it.
    static func wipe(_ buffer: inout ByteBuffer) {
        let count = buffer.writerIndex
        buffer.setRepeatingByte(0, count: count, at: 0)
        buffer.clear()
    }
}
