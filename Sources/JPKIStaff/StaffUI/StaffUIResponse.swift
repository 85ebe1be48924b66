import FoundationEssentials
import NIOHTTP1

/// One response of the staff page's server: always `Connection: close`, never cached, never
/// framed, never sent as a referrer.
public struct StaffUIResponse: Sendable {
    public var status: Int
    public var contentType: String
    public var body: Data
    public var extraHeaders: [(String, String)] = []

    public init(status: Int, contentType: String, body: Data, extraHeaders: [(String, String)] = []) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.extraHeaders = extraHeaders
    }

    /// The head as NIO's encoder writes it, with the framing and the headers every answer gets.
    var head: HTTPResponseHead {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.count))
        headers.add(name: "Connection", value: "close")
        Self.addSecurityHeaders(&headers)
        for (name, value) in extraHeaders { headers.add(name: name, value: value) }
        return HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: headers)
    }

    static func addSecurityHeaders(_ headers: inout HTTPHeaders) {
        headers.add(name: "Cache-Control", value: "no-store")
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        headers.add(name: "Referrer-Policy", value: "no-referrer")
        headers.add(name: "X-Frame-Options", value: "DENY")
    }

    static func plain(_ status: Int, _ text: String) -> StaffUIResponse {
        StaffUIResponse(status: status, contentType: "text/plain; charset=utf-8", body: Data(text.utf8))
    }
}
