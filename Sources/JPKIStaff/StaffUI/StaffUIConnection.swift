import FoundationEssentials
import HTTPServing
import JPKIClient
import NIOCore
import NIOHTTP1

/// One connection to the staff page's server, on `NIOAsyncChannel`: one request, read whole
/// within 10 s (a client sending a byte at a time cannot keep a slot), checked (Host, session,
/// CSRF token, Origin: ``StaffUIAccess``), answered, closed. An answer the client does not take
/// within 10 s closes the connection; an event stream is relayed from jpkid until either side
/// ends it or the browser falls behind. When the browser leaves before its answer, the request to
/// jpkid is closed too (jpkid then cancels it: a PIN in it never reaches the card).
struct StaffUIConnection {
    typealias Channel = NIOAsyncChannel<CollectedRequest, HTTPServerResponsePart>
    typealias Writer = NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>

    /// What the shared HTTP code checks before a request reaches this server: the head
    /// (``HTTPServing/HTTPRequestCollector/strictHead(_:)``), 16 KiB of head, 4 KiB of body,
    /// 10 s to arrive; a refusal is answered at once and the connection closed.
    static let rules = HTTPRequestCollector.Rules(
        bodyBytes: StaffUIRequest.limits.bodyBytes, oneRequest: true, checkHead: HTTPRequestCollector.strictHead,
        refuseParserErrors: true, deadline: StaffUIServer.ioTimeout)

    /// Events from jpkid not yet written to the browser: more, and the browser has fallen behind.
    static let relayBuffer = 64

    let server: StaffUIServer
    /// The peer's uid (the page's user or root), for the per-user stream cap.
    let uid: UInt32
    let channel: any NIOCore.Channel
    let outbound: Writer

    /// The handlers in front of ``serve(_:server:uid:)``, after the peer was admitted.
    static func addHandlers(to pipeline: ChannelPipeline.SynchronousOperations) throws {
        try pipeline.addHandler(HTTPResponseEncoder())
        try pipeline.addHandler(
            ByteToMessageHandler(
                HTTPRequestDecoder(
                    leftOverBytesStrategy: .dropBytes, limitConfiguration: StaffUIRequest.limits.decoder)))
        try pipeline.addHandler(HTTPRequestCollector(rules))
    }

    /// Reads the one request, answers it and closes.
    static func serve(_ connection: Channel, server: StaffUIServer, uid: UInt32) async {
        try? await connection.executeThenClose { inbound, outbound in
            var requests = inbound.makeAsyncIterator()
            guard let first = try await requests.next() else { return }
            let this = StaffUIConnection(server: server, uid: uid, channel: connection.channel, outbound: outbound)
            switch first {
            case .refused(_, let refusal):
                let status = refusal == .tooLarge ? 413 : 400
                server.log("- - \(status)")
                await this.answer(.plain(status, "bad request"))
            case .request(let head, var body):
                var request = StaffUIRequest(head: head)
                request.body = Data(body.readableBytesView)
                // The body may hold a PIN: the received bytes are overwritten once copied out,
                // and the copy once the request is answered.
                body.wipe()
                await this.dispatch(request)
                request.body.wipe()
            }
        }
    }

    private func dispatch(_ request: StaffUIRequest) async {
        let line = "\(StaffUIServer.loggable(request.method)) \(StaffUIServer.loggable(request.path))"
        switch server.access.decide(request) {
        case .forbidden:
            server.log("\(line) 403")
            return await answer(.plain(403, "forbidden: open the page with 'jpkictl ui --open'"))
        case .launch:
            let response = launch(request)
            server.log("\(line) \(response.status)")
            return await answer(response)
        case .allowed:
            break
        }
        if request.method == "GET", request.path == "/api/events" {
            server.log("GET /api/events 200")
            return await relayEvents(lastEventID: request.headers["last-event-id"])
        }
        let csrf = server.access.session(request)?.csrf
        // The browser leaving (its connection closing) abandons the request to jpkid.
        let abandoned = channel.closeFuture
        guard
            let response = try? await server.routes.respond(
                to: request, csrf: csrf, abandoned: abandoned, on: channel.eventLoop
            ).get()
        else { return }
        guard channel.isActive else {
            return server.log("\(line) abandoned: the browser left; the request to jpkid was closed")
        }
        server.log("\(line) \(response.status)")
        await answer(response)
    }

    /// `POST /session` with `ticket=…`: spends the ticket (its launcher file goes), sets the
    /// session cookie and sends the browser on to `/` in place (``StaffUIRoutes/launchPage``).
    private func launch(_ request: StaffUIRequest) -> StaffUIResponse {
        let form = RequestTarget.formFields(Substring(decoding: request.body, as: UTF8.self))
        guard let ticket = form["ticket"], let session = server.access.redeem(ticket) else {
            return .plain(403, "this page link was used or has expired: run 'jpkictl ui --open' again")
        }
        server.forget(ticket)
        var response = StaffUIRoutes.launchPage
        response.extraHeaders.append(
            ("Set-Cookie", "\(server.access.cookieName)=\(session.cookie); Path=/; HttpOnly; SameSite=Strict"))
        return response
    }

    /// Writes `response` and closes, whether or not the client takes it within the I/O timeout.
    private func answer(_ response: StaffUIResponse) async {
        let channel = self.channel
        let watchdog = channel.eventLoop.scheduleTask(in: StaffUIServer.ioTimeout) { channel.close(promise: nil) }
        defer { watchdog.cancel() }
        try? await outbound.write(contentsOf: [
            .head(response.head), .body(.byteBuffer(ByteBuffer(bytes: response.body))), .end(nil),
        ])
        await finish()
    }

    /// Closes the sending side once what was written has gone out (a full close would drop
    /// writes still pending), then the connection closes.
    private func finish() async {
        try? await channel.close(mode: .output)
    }

    /// Relays jpkid's event stream as it comes (ids, events, keep-alive comments). When jpkid
    /// cannot be reached the page is told and retries; a browser that left, or holds more than
    /// the channel's write buffer unread, ends the relay.
    private func relayEvents(lastEventID: String?) async {
        guard server.admitStream(uid) else { return await answer(.plain(503, "too many event streams")) }
        defer { server.releaseStream(uid) }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/event-stream")
        headers.add(name: "Connection", value: "close")
        StaffUIResponse.addSecurityHeaders(&headers)
        do {
            try await outbound.write(contentsOf: [
                .head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)),
                .body(.byteBuffer(ServerSentEvents.retry(milliseconds: 1000))),
            ])
        } catch {
            return
        }
        let channel = self.channel
        let (parts, sink) = AsyncStream.makeStream(
            of: EventStreamPart.self, bufferingPolicy: .bufferingOldest(Self.relayBuffer))
        let valid = lastEventID.flatMap { UInt64($0) }.map { [("Last-Event-ID", String($0))] } ?? []
        // jpkid comments every 15 s: the client's read timeout ends a stream that falls silent.
        let stream = server.jpkid.eventStream("/v1/events", headers: valid) { part in
            if case .dropped = sink.yield(part) { channel.close(promise: nil) }
            if case .opened = part { return }
            if case .item = part { return }
            sink.finish()
        }
        channel.closeFuture.whenComplete { _ in
            sink.finish()
            stream.cancel()
        }
        for await part in parts {
            let (bytes, last): (ByteBuffer?, Bool) =
                switch part {
                case .opened: (nil, false)
                case .item(.event(let event)):
                    (ServerSentEvents.event(id: event.id, type: event.type, data: event.data), false)
                case .item(.keepAlive): (ServerSentEvents.comment("keep-alive"), false)
                case .refused(let refusal):
                    (ServerSentEvents.event(id: nil, type: "refused", data: "{\"status\":\(refusal.status)}"), true)
                case .ended: (nil, true)
                case .failed: (ServerSentEvents.event(id: nil, type: "unreachable", data: "{}"), true)
                }
            guard channel.isActive else { return }
            guard channel.isWritable else { return channel.close(promise: nil) }
            do {
                if let bytes { try await outbound.write(.body(.byteBuffer(bytes))) }
                if last {
                    try await outbound.write(.end(nil))
                    return await finish()
                }
            } catch {
                return
            }
        }
    }
}
