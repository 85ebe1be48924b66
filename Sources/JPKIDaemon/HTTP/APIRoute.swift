import JPKIAPI
import NIOHTTP1

/// One route of the v1 API: a method, a path template and the access level it needs.
///
/// ``APIRoute/all`` is the whole API, built from the two endpoint enums: every endpoint says its
/// method, path and access in one exhaustive switch, so a new case does not compile until it has
/// them, and the handler's switch over it does not compile until it is served. The handler
/// dispatches only what ``APIRoute/match(_:_:)`` finds, and a unit test compares the table with
/// the paths and methods of docs/openapi.yaml.
public struct APIRoute: Sendable, Equatable {
    /// What a route does: a service endpoint, or a reader endpoint; the handler switches over it.
    public enum Endpoint: Sendable, Hashable {
        case service(ServiceEndpoint)
        case reader(ReaderEndpoint)
    }

    /// The endpoints that answer for the daemon as a whole, from memory: they never reach a card.
    public enum ServiceEndpoint: Sendable, Hashable, CaseIterable {
        case health, events, openAPI, metrics, readers

        var method: HTTPMethod { .GET }
        var access: AccessLevel { .status }
        var path: String {
            switch self {
            case .health: "/v1/health"
            case .events: "/v1/events"
            case .openAPI: "/v1/openapi.json"
            case .metrics: "/v1/metrics"
            case .readers: "/v1/readers"
            }
        }
    }

    /// The endpoints of one reader and its card. Each exists twice: under `/v1/readers/{id}` (the
    /// named reader) and under `/v1/card` (the one reader holding a card).
    public enum ReaderEndpoint: Sendable, Hashable, CaseIterable {
        case reader, certificate, signCertificate, verifyPIN, changePIN, sign, authenticate, cardText, cardFace
        case cardFaceCheck, ageCheck, cardTextCheck

        /// The prefixes a reader endpoint's path follows.
        static let prefixes = ["/v1/readers/{id}", "/v1/card"]

        var method: HTTPMethod {
            switch self {
            case .reader, .certificate: .GET
            case .signCertificate, .verifyPIN, .changePIN, .sign, .authenticate, .cardText, .cardFace, .cardFaceCheck,
                .ageCheck, .cardTextCheck:
                .POST
            }
        }

        /// Reading what any program may see takes `status`; whatever sends a PIN or a card-face
        /// code, or returns personal data, takes `operate`.
        var access: AccessLevel {
            switch self {
            case .reader, .certificate: .status
            case .signCertificate, .verifyPIN, .changePIN, .sign, .authenticate, .cardText, .cardFace, .cardFaceCheck,
                .ageCheck, .cardTextCheck:
                .operate
            }
        }

        /// The JSON body a POST takes (its fields are the type's `CodingKeys`); nil for a GET. The
        /// handler decodes this type, and a unit test compares its fields with docs/openapi.yaml.
        var body: (any RequestBody.Type)? {
            switch self {
            case .reader, .certificate: nil
            case .signCertificate, .verifyPIN: PINRequest.self
            case .changePIN: PINChangeRequest.self
            case .sign: SignRequest.self
            case .authenticate: AuthenticateRequest.self
            case .cardText, .cardTextCheck: CardTextRequest.self
            case .cardFace: CardFaceRequest.self
            case .cardFaceCheck: CardFaceCheckRequest.self
            case .ageCheck: AgeCheckRequest.self
            }
        }

        /// The path after the reader's prefix.
        var path: String {
            switch self {
            case .reader: ""
            case .certificate: "/certificates/{slot}"
            case .signCertificate: "/certificates/sign"
            case .verifyPIN: "/pins/{kind}/verify"
            case .changePIN: "/pins/{kind}/change"
            case .sign: "/sign"
            case .authenticate: "/authenticate"
            case .cardText: "/card-text"
            case .cardFace: "/card-face"
            case .cardFaceCheck: "/card-face/check"
            case .ageCheck: "/age-check"
            case .cardTextCheck: "/card-text/check"
            }
        }
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
    public static let all: [APIRoute] =
        ServiceEndpoint.allCases.map { APIRoute($0.method, $0.path, $0.access, .service($0)) }
        + ReaderEndpoint.prefixes.flatMap { prefix in
            ReaderEndpoint.allCases.map { APIRoute($0.method, prefix + $0.path, $0.access, .reader($0)) }
        }

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
        // A path that is a template without parameters (`/v1/readers`, the kiosk's poll) is found
        // at once: no other route can have more literals.
        if let routes = literal[path] {
            if let route = routes.first(where: { $0.method == method }) { return .found(route, parameters: [:]) }
            return .methodNotAllowed(routes.map(\.method))
        }
        return walk(method, path)
    }

    /// The match by walking every route, segment by segment (``match(_:_:)`` without its
    /// shortcut).
    static func walk(_ method: HTTPMethod, _ path: String) -> Match {
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

    /// The routes whose templates have no parameter, by template.
    private static let literal: [String: [APIRoute]] = Dictionary(
        grouping: all.filter { route in
            route.segments.allSatisfy { if case .literal = $0 { true } else { false } }
        }, by: \.template)

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
        guard case .found(let route, _) = self, case .reader = route.endpoint else { return false }
        return true
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
