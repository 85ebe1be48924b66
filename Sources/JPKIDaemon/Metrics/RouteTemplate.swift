/// The route template of a request path, for the `route` label: `/v1/readers/r1a2b3c/pins/auth/verify`
/// is `/v1/readers/{id}/pins/{kind}/verify`. A path no route of the v1 API has is `other`, so a
/// label never carries a raw path (a client could put anything in one) and their number is bounded.
///
/// Stands in for `APIRoute.template` of the OpenAPI work; the templates are the document's.
enum RouteTemplate {
    static let other = "other"

    /// The template of `path` (percent-decoded, without the query).
    static func template(for path: String) -> String {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.first == "v1" else { return other }
        let rest = parts.dropFirst()
        switch (rest.first, rest.count) {
        case ("health", 1), ("events", 1), ("readers", 1), ("metrics", 1), ("openapi.json", 1):
            return "/v1/" + rest[rest.startIndex]
        case ("readers", 2...):
            return card(rest.dropFirst(2), under: "/v1/readers/{id}")
        case ("card", _):
            return card(rest.dropFirst(1), under: "/v1/card")
        default:
            return other
        }
    }

    /// The routes under one reader (or the sole card).
    private static func card(_ rest: ArraySlice<Substring>, under prefix: String) -> String {
        let words = Array(rest)
        switch words.count {
        case 0: return prefix
        case 1 where ["sign", "authenticate", "card-text", "card-face"].contains(words[0]):
            return "\(prefix)/\(words[0])"
        case 2 where words[0] == "certificates": return "\(prefix)/certificates/{slot}"
        case 3 where words[0] == "pins" && ["verify", "change"].contains(words[2]):
            return "\(prefix)/pins/{kind}/\(words[2])"
        default: return other
        }
    }

    /// An HTTP method as a label value: the standard ones, anything else `other`.
    static func method(_ name: String) -> String {
        ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"].contains(name) ? name : other
    }
}
