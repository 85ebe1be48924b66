/// The request target of an HTTP request line (`/path?query`): its path and query items, and the
/// percent-decoding both servers use.
public enum RequestTarget {
    /// Splits `uri` at `?`; the path and every query key and value are percent-decoded (`+` stays
    /// `+`; text that does not decode is kept as it came). A key given twice: its last value wins.
    public static func split(_ uri: String) -> (path: String, query: [String: String]) {
        let (path, query) = pieces(uri)
        return (
            percentDecoded(path) ?? String(path),
            query.map { items($0) { percentDecoded($0) ?? String($0) } } ?? [:]
        )
    }

    /// The path as it came (not decoded) and a query decoded as a form (`+` is a space); an item
    /// whose key or value does not decode is left out.
    public static func splitForm(_ uri: String) -> (path: String, query: [String: String]) {
        let (path, query) = pieces(uri)
        return (String(path), query.map { formFields($0) } ?? [:])
    }

    /// `application/x-www-form-urlencoded` text (a query, or a form's body) as fields: `+` is a
    /// space, `%XX` a byte; an item whose key or value does not decode is left out, and a key
    /// given twice keeps its last value.
    public static func formFields(_ text: Substring) -> [String: String] {
        items(text) { percentDecoded($0, plusIsSpace: true) }
    }

    /// `%XX` escapes decoded (and `+` as a space when `plusIsSpace`); nil for a broken escape or
    /// bytes that are not UTF-8.
    public static func percentDecoded(_ text: Substring, plusIsSpace: Bool = false) -> String? {
        guard text.utf8.contains(UInt8(ascii: "%")) || (plusIsSpace && text.utf8.contains(UInt8(ascii: "+"))) else {
            return String(text)
        }
        var bytes: [UInt8] = []
        var utf8 = text.utf8.makeIterator()
        while let byte = utf8.next() {
            switch byte {
            case UInt8(ascii: "+") where plusIsSpace:
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = utf8.next().flatMap(hexValue), let low = utf8.next().flatMap(hexValue) else {
                    return nil
                }
                bytes.append(high << 4 | low)
            default:
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// The path and, after the first `?`, the query.
    private static func pieces(_ uri: String) -> (Substring, Substring?) {
        guard let mark = uri.utf8.firstIndex(of: UInt8(ascii: "?")) else { return (uri[...], nil) }
        return (uri[..<mark], uri[uri.utf8.index(after: mark)...])
    }

    /// `a=1&b&c=%33` as items, each part decoded by `decode` (nil leaves the item out).
    private static func items(_ query: Substring, _ decode: (Substring) -> String?) -> [String: String] {
        var fields: [String: String] = [:]
        for item in query.split(separator: "&") {
            let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = decode(pair[0]) else { continue }
            fields[key] = pair.count == 2 ? decode(pair[1]) : ""
        }
        return fields
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
