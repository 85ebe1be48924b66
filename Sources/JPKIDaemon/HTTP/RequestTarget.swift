import Foundation

/// The request target of an HTTP request line: its percent-decoded path and query items.
enum RequestTarget {
    /// Splits `uri` at `?`; the path and every query key and value are percent-decoded (a value
    /// that does not decode is kept as it came).
    static func split(_ uri: String) -> (path: String, query: [String: String]) {
        let pieces = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(pieces[0]).removingPercentEncoding ?? String(pieces[0])
        var query: [String: String] = [:]
        if pieces.count == 2 {
            for item in pieces[1].split(separator: "&") {
                let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let key = String(pair[0]).removingPercentEncoding ?? String(pair[0])
                let value = pair.count == 2 ? (String(pair[1]).removingPercentEncoding ?? String(pair[1])) : ""
                query[key] = value
            }
        }
        return (path, query)
    }
}
