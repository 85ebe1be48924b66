import ErrorCodes
import HTTPServing
import JPKIAPI
import Logging
import NIOCore
import NIOHTTP1
import Secrets

/// One connection: requests framed from NIO's HTTP parts (the body capped and wiped after use),
/// each handled in a task its client's disconnection cancels, answers written back, and event
/// streams handed to ``EventStream``.
extension HTTPServer {
    func serve(_ connection: Connection, peer: PeerCredentials, watch: NIOLoopBound<ConnectionGuard>) async {
        let channel = connection.channel
        // One hook per connection (not per request, which would pile up on a keep-alive one):
        // when the client goes away, the request being handled is cancelled.
        let current = CurrentRequest()
        // Group membership is decided once per connection (and again after a reload).
        let access = ConnectionAccess(peer: peer)
        channel.closeFuture.whenComplete { _ in current.cancel() }
        trim.opened()
        defer { trim.closed() }
        do {
            try await connection.executeThenClose { inbound, outbound in
                for try await item in inbound {
                    let started = ContinuousClock.now
                    let requestHead: HTTPRequestHead
                    var body: [UInt8]
                    switch item {
                    case .refused(let head, _):
                        // The collector refuses only a body over the cap (no head checks here).
                        let error = APIError(
                            .payloadTooLarge, "the body is larger than \(limits.bodyBytes) bytes",
                            status: .payloadTooLarge)
                        if let head { handler.metrics.request(head, .error(error), since: started) }
                        try await write(.error(error), to: outbound, keepAlive: false)
                        return
                    case .request(let head, var collected):
                        requestHead = head
                        body = Array(collected.readableBytesView)
                        collected.wipe()
                    }
                    defer { body.wipe() }
                    // The target is split and the route found once, for the handler and the metrics.
                    let (path, query) = RequestTarget.split(requestHead.uri)
                    let match = APIRoute.match(requestHead.method, path)
                    let response = await Self.respond(
                        to: requestHead, path: path, query: query, match: match, body: body, access: access,
                        tracking: current, with: handler)
                    handler.metrics.request(
                        route: match.template(path: path), requestHead.method, response, since: started)
                    body.wipe()
                    if case .events(let after) = response {
                        guard connections.admitStream(peer.uid) else {
                            refused(peer, .eventStreams)
                            let refusal = ConnectionTable.Refusal.eventStreams
                            let error = APIError(
                                .tooManyConnections, refusal.message, status: .serviceUnavailable)
                            try await write(.error(error), to: outbound, keepAlive: false)
                            try? await channel.close(mode: .output)
                            return
                        }
                        defer { connections.releaseStream(peer.uid) }
                        handler.metrics.eventStreamOpened()
                        defer { handler.metrics.eventStreamClosed() }
                        let logger = self.logger
                        let (items, end) = handler.events.subscription(after: after) {
                            // The client fell behind: the stream ends with `overflow`; a
                            // client that does not read even that is cut off shortly.
                            logger.notice("event stream overflowed; closing it", metadata: ["pid": "\(peer.pid)"])
                            channel.eventLoop.scheduleTask(in: .seconds(2)) { channel.close(promise: nil) }
                        }
                        try await EventStream(
                            items: items, end: end, writeTimeout: limits.eventWriteTimeout,
                            keepAlive: limits.eventKeepAlive
                        ).run(to: outbound, channel: channel)
                        return
                    }
                    try await write(response, to: outbound, keepAlive: requestHead.isKeepAlive)
                    watch.eventLoop.execute { watch.value.responseSent() }
                    if !requestHead.isKeepAlive {
                        // A full close drops writes still pending (apple/swift-nio#2795): an
                        // answer over ~32 KB was cut. The half-close waits for them (bounded:
                        // a client that stops reading is closed at the idle timeout).
                        try? await channel.close(mode: .output)
                        return
                    }
                }
            }
        } catch {
            logger.debug("connection ended", metadata: ["error": "\(type(of: error))"])
        }
    }

    /// Runs a request that may reach a card in a task of its own that is cancelled when the
    /// client closes its connection (or the server stops), so an operation nobody waits for any
    /// more stops before its VERIFY (the card layer checks for cancellation right before sending a
    /// PIN). The rest (status, events, documents, metrics, errors) answer from memory at once:
    /// no task of their own.
    static func respond(
        to head: HTTPRequestHead, path: String, query: [String: String], match: APIRoute.Match, body: [UInt8],
        access: ConnectionAccess, tracking current: CurrentRequest, with handler: APIHandler
    ) async -> APIResponse {
        let request = APIRequest(
            method: head.method, path: path, query: query, headers: head.headers, body: body, peer: access.peer,
            access: access)
        guard match.reachesCard else { return await handler.handle(request, match) }
        let task = Task { await handler.handle(request, match) }
        current.start(task)
        defer { current.finish() }
        return await withTaskCancellationHandler {
            await task.value
        } onCancel: {
            task.cancel()
        }
    }

    private func write(
        _ response: APIResponse, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>, keepAlive: Bool
    ) async throws {
        guard case .body(let status, let contentType, let bytes, var headers) = response else { return }
        headers.add(name: "content-type", value: contentType)
        headers.add(name: "content-length", value: String(bytes.count))
        if !headers.contains(name: "cache-control") { headers.add(name: "cache-control", value: "no-store") }
        if !keepAlive { headers.add(name: "connection", value: "close") }
        // One write, one trip to the event loop.
        try await outbound.write(contentsOf: [
            .head(HTTPResponseHead(version: .http1_1, status: status, headers: headers)),
            .body(.byteBuffer(ByteBuffer(bytes: bytes))), .end(nil),
        ])
    }
}
