import FoundationEssentials
import NIOHTTP1

/// One HTTP/1.1 request to the staff page's server, as far as it needs to know it.
public struct StaffUIRequest: Sendable, Equatable {
    public var method: String
    /// The path without the query.
    public var path: String
    public var query: [String: String]
    /// Lower-cased names.
    public var headers: [String: String]
    public var body: Data

    /// The most a request head may take; longer heads are refused.
    public static let maxHeadBytes = 16 * 1024
    /// The most a request body may take (a PIN request is well under 1 KiB).
    public static let maxBodyBytes = 4 * 1024

    public enum ParseError: Error, Equatable {
        case malformed, tooLarge
    }

    /// Parses a request head (up to and without the blank line).
    public static func parseHead(_ text: String) throws(ParseError) -> StaffUIRequest {
        var lines = text.components(separatedBy: "\r\n")
        guard !lines.isEmpty else { throw .malformed }
        let parts = lines.removeFirst().split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[2] == "HTTP/1.1" || parts[2] == "HTTP/1.0", parts[1].hasPrefix("/") else {
            throw .malformed
        }
        var headers: [String: String] = [:]
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else { throw .malformed }
            let name = line[..<colon].lowercased()
            guard headers[name] == nil || !["host", "content-length"].contains(name) else { throw .malformed }
            headers[name] = line[line.index(after: colon)...].trimmingSpaces
        }
        let target = String(parts[1])
        let (path, query) = splitTarget(target)
        return StaffUIRequest(method: String(parts[0]), path: path, query: query, headers: headers, body: Data())
    }

    static func splitTarget(_ target: String) -> (String, [String: String]) {
        guard let mark = target.firstIndex(of: "?") else { return (target, [:]) }
        var query: [String: String] = [:]
        for pair in target[target.index(after: mark)...].split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = kv[0].formDecoded else { continue }
            query[key] = kv.count > 1 ? kv[1].formDecoded : ""
        }
        return (String(target[..<mark]), query)
    }
}

extension StaffUIRequest {
    /// The request NIO's decoder read, with the checks `parseHead` makes: HTTP/1.0 or 1.1, an
    /// origin-form target, one `Host` and one `Content-Length` at most.
    public init(head: HTTPRequestHead) throws(ParseError) {
        guard head.version == .http1_1 || head.version == .http1_0, head.uri.hasPrefix("/") else { throw .malformed }
        var headers: [String: String] = [:]
        for (name, value) in head.headers {
            let key = name.lowercased()
            guard headers[key] == nil || !["host", "content-length"].contains(key) else { throw .malformed }
            headers[key] = value.trimmingSpaces
        }
        let (path, query) = Self.splitTarget(head.uri)
        self.init(method: head.method.rawValue, path: path, query: query, headers: headers, body: Data())
    }
}
