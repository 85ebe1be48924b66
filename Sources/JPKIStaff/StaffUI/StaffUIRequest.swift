import FoundationEssentials
import HTTPServing
import NIOHTTP1

/// One HTTP/1.1 request to the staff page's server, as far as it needs to know it.
public struct StaffUIRequest: Sendable, Equatable {
    public var method: String
    /// The path without the query, as it came.
    public var path: String
    /// The query, decoded as a form.
    public var query: [String: String]
    /// Lower-cased names.
    public var headers: [String: String]
    public var body: Data

    /// Request heads 16 KiB (longer: `413`), at most 100 header fields; bodies 4 KiB (a PIN
    /// request is well under 1 KiB).
    public static let limits = RequestLimits(headBytes: 16 * 1024, headerCount: 100, bodyBytes: 4 * 1024)

    /// The request NIO's decoder read, once the shared strict checks passed
    /// (``HTTPServing/HTTPRequestCollector/strictHead(_:)``: HTTP/1.0 or 1.1, an origin-form
    /// target, one `Host` and one `Content-Length` at most); the body is set apart.
    public init(head: HTTPRequestHead) {
        var headers: [String: String] = [:]
        for (name, value) in head.headers { headers[name.lowercased()] = value.trimmingSpaces }
        let (path, query) = RequestTarget.splitForm(head.uri)
        self.init(method: head.method.rawValue, path: path, query: query, headers: headers, body: Data())
    }

    public init(method: String, path: String, query: [String: String], headers: [String: String], body: Data) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }
}
