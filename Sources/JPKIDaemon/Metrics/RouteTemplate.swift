/// The route template of a request path, for the `route` label: `/v1/readers/r1a2b3c/pins/auth/verify`
/// is `/v1/readers/{id}/pins/{kind}/verify`. A path no route of the v1 API has is `other`, so a
/// label never carries a raw path (a client could put anything in one) and their number is bounded.
/// The templates are the route table's, which are the OpenAPI document's.
enum RouteTemplate {
    static let other = "other"

    /// The template of `path` (percent-decoded, without the query), as the route table has it.
    static func template(for path: String) -> String {
        APIRoute.template(for: path) ?? other
    }

    /// An HTTP method as a label value: the standard ones, anything else `other`.
    static func method(_ name: String) -> String {
        ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"].contains(name) ? name : other
    }
}
