import FoundationEssentials
import NIOCore
import NIOHTTP1

/// One request as it goes on the wire: `Connection: close` (one request per connection), JSON
/// bodies only.
struct ClientRequest: Sendable {
    let method: HTTPMethod
    let path: String
    let headers: [(String, String)]
    let body: Data?

    /// A method and path that could split the request line are refused before connecting.
    init(_ method: String, _ path: String, headers: [(String, String)] = [], body: Data?) throws(ClientError) {
        let token = method.utf8.allSatisfy { (0x41...0x5A).contains($0) }
        let target = path.hasPrefix("/") && path.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
        guard token, !method.isEmpty, target else {
            throw ClientError(.badRequest, "not a request jpkid takes: \(method.prefix(16)) \(path.prefix(64))")
        }
        self.method = HTTPMethod(rawValue: method)
        self.path = path
        self.headers = headers
        self.body = body
    }

    /// The request's parts: head, the JSON body if any, end.
    var parts: [HTTPClientRequestPart] {
        var fields = HTTPHeaders()
        fields.add(name: "host", value: "localhost")
        fields.add(name: "user-agent", value: "jpkictl")
        fields.add(name: "connection", value: "close")
        for (name, value) in headers { fields.add(name: name, value: value) }
        if let body {
            fields.add(name: "content-type", value: "application/json")
            fields.add(name: "content-length", value: String(body.count))
        } else if method != .GET {
            fields.add(name: "content-length", value: "0")
        }
        var parts = [
            HTTPClientRequestPart.head(HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: fields))
        ]
        if let body, !body.isEmpty { parts.append(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
        parts.append(.end(nil))
        return parts
    }
}
