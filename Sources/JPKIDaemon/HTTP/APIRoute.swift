import NIOHTTP1

/// One route of the v1 API: a method, a path template and the access level it needs.
///
/// ``APIRoute/all`` is the whole API: the handler dispatches only what ``APIRoute/match(_:_:)``
/// finds in it, so a route cannot exist in the handler without being in the table, and a unit
/// test compares the table with the paths and methods of docs/openapi.yaml.
public struct APIRoute: Sendable, Equatable {
    /// What a route does; the handler switches over it.
    public enum Endpoint: Sendable, Hashable {
        case health, events, openAPI, metrics, readers
        /// The rest exist once per reader (`/v1/readers/{id}/...`) and once for the sole card
        /// (`/v1/card/...`).
        case reader, certificate, signCertificate, verifyPIN, changePIN, sign, authenticate, cardText, cardFace
        case cardFaceCheck, ageCheck, cardTextCheck
    }

    public let method: HTTPMethod
    /// The path template, e.g. `/v1/readers/{id}/pins/{kind}/verify` (the OpenAPI path).
    public let template: String
    public let access: AccessLevel
    public let endpoint: Endpoint

    /// The template's segments: a literal, or a `{name}` parameter.
    let segments: [Segment]

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    init(_ method: HTTPMethod, _ template: String, _ access: AccessLevel, _ endpoint: Endpoint) {
        self.method = method
        self.template = template
        self.access = access
        self.endpoint = endpoint
        segments = template.split(separator: "/").map { part in
            part.hasPrefix("{") && part.hasSuffix("}")
                ? .parameter(String(part.dropFirst().dropLast())) : .literal(String(part))
        }
    }

    /// Every route of the v1 API.
    public static let all: [APIRoute] = {
        var routes: [APIRoute] = [
            APIRoute(.GET, "/v1/health", .status, .health),
            APIRoute(.GET, "/v1/events", .status, .events),
            APIRoute(.GET, "/v1/openapi.json", .status, .openAPI),
            APIRoute(.GET, "/v1/metrics", .status, .metrics),
            APIRoute(.GET, "/v1/readers", .status, .readers),
        ]
        // A reader's routes, under `/v1/readers/{id}` and under `/v1/card` (the sole card).
        let perReader: [(HTTPMethod, String, AccessLevel, Endpoint)] = [
            (.GET, "", .status, .reader),
            (.GET, "/certificates/{slot}", .status, .certificate),
            (.POST, "/certificates/sign", .operate, .signCertificate),
            (.POST, "/pins/{kind}/verify", .operate, .verifyPIN),
            (.POST, "/pins/{kind}/change", .operate, .changePIN),
            (.POST, "/sign", .operate, .sign),
            (.POST, "/authenticate", .operate, .authenticate),
            (.POST, "/card-text", .operate, .cardText),
            (.POST, "/card-face", .operate, .cardFace),
            (.POST, "/card-face/check", .operate, .cardFaceCheck),
            (.POST, "/age-check", .operate, .ageCheck),
            (.POST, "/card-text/check", .operate, .cardTextCheck),
        ]
        for prefix in ["/v1/readers/{id}", "/v1/card"] {
            routes += perReader.map { APIRoute($0.0, prefix + $0.1, $0.2, $0.3) }
        }
        return routes
    }()

    /// What a request's path and method find in the table.
    public enum Match: Sendable, Equatable {
        /// The route, with the values of its path parameters (`id`, `slot`, `kind`).
        case found(APIRoute, parameters: [String: String])
        /// The path exists, but not with this method: these are the methods it takes.
        case methodNotAllowed([HTTPMethod])
        case notFound
    }

    /// Finds the route for `method` and `path` (already percent-decoded). A literal segment
    /// wins over a parameter (`/certificates/sign` before `/certificates/{slot}`), so every path
    /// has one template however its methods differ.
    public static func match(_ method: HTTPMethod, _ path: String) -> Match {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var best: (literals: Int, routes: [(APIRoute, [String: String])])?
        for route in all where route.segments.count == parts.count {
            var parameters: [String: String] = [:]
            var literals = 0
            let fits = zip(route.segments, parts).allSatisfy { segment, part in
                switch segment {
                case .literal(let text):
                    literals += 1
                    return text == part
                case .parameter(let name):
                    parameters[name] = part
                    return true
                }
            }
            guard fits else { continue }
            switch best?.literals {
            case let known? where known > literals: continue
            case let known? where known == literals: best?.routes.append((route, parameters))
            default: best = (literals, [(route, parameters)])
            }
        }
        guard let best else { return .notFound }
        if let (route, parameters) = best.routes.first(where: { $0.0.method == method }) {
            return .found(route, parameters: parameters)
        }
        return .methodNotAllowed(best.routes.map(\.0.method))
    }

    /// The template a request's path matches, whatever its method (for metrics labels); nil for
    /// a path outside the API, which must never become a label as it came.
    public static func template(for path: String) -> String? {
        // Every method of a path finds the same template: the best match is chosen by path alone.
        for method in [HTTPMethod.GET, .POST] {
            if case .found(let route, _) = match(method, path) { return route.template }
        }
        return nil
    }
}

extension APIRoute.Match {
    /// Whether a request may reach a card: a reader's routes do; status, events, documents and
    /// metrics answer from memory, and a request that matches no route is an error.
    public var reachesCard: Bool {
        guard case .found(let route, _) = self else { return false }
        switch route.endpoint {
        case .health, .events, .openAPI, .metrics, .readers: return false
        case .reader, .certificate, .signCertificate, .verifyPIN, .changePIN, .sign, .authenticate, .cardText,
            .cardFace, .cardFaceCheck, .ageCheck, .cardTextCheck:
            return true
        }
    }

    /// The route template for metrics labels (`other` for a path outside the API). A method the
    /// path does not take finds its template as ``APIRoute/template(for:)`` does.
    func template(path: String) -> String {
        switch self {
        case .found(let route, _): route.template
        case .methodNotAllowed: APIRoute.template(for: path) ?? RouteTemplate.other
        case .notFound: RouteTemplate.other
        }
    }
}
