import ErrorCodes
import FoundationEssentials
import JPKIAPI
import Logging
import MyNumberCard
import NIOCore
import NIOHTTP1

/// A request as the router sees it.
public struct APIRequest: Sendable {
    public var method: HTTPMethod
    public var path: String
    public var query: [String: String]
    public var headers: HTTPHeaders
    public var body: [UInt8]
    public var peer: PeerCredentials
    /// The connection's access decisions, kept across its requests; nil decides per request.
    public var access: ConnectionAccess?

    public init(
        method: HTTPMethod, path: String, query: [String: String], headers: HTTPHeaders, body: [UInt8],
        peer: PeerCredentials, access: ConnectionAccess? = nil
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.peer = peer
        self.access = access
    }
}

/// What the router answers.
public enum APIResponse: Sendable {
    case body(HTTPResponseStatus, contentType: String, [UInt8], headers: HTTPHeaders = [:])
    /// A server-sent event stream from the event bus, starting after this event id when given.
    case events(after: UInt64?)

    static func json(
        _ value: some Encodable, status: HTTPResponseStatus = .ok, headers: HTTPHeaders = [:]
    ) -> APIResponse {
        let data = (try? APIJSON.encoder().encode(value)) ?? Data("{}".utf8)
        return .body(status, contentType: "application/json", Array(data) + [0x0A], headers: headers)
    }

    static func error(_ error: APIError) -> APIResponse {
        var headers = HTTPHeaders()
        if !error.allowedMethods.isEmpty {
            headers.add(name: "allow", value: error.allowedMethods.map(\.rawValue).joined(separator: ", "))
        }
        return json(ErrorBody(error: error.detail), status: error.status, headers: headers)
    }
}

/// The v1 API: routing, access control, JSON in and out.
public struct APIHandler: Sendable {
    let registry: ReaderRegistry
    let events: EventBus
    let policy: PolicyStore
    let logger: Logger
    let startedAt: Date
    let metrics: DaemonMetrics
    public static let version = "0.1.0"

    public init(
        registry: ReaderRegistry, events: EventBus, policy: PolicyStore, logger: Logger,
        metrics: DaemonMetrics = DaemonMetrics()
    ) {
        self.metrics = metrics
        self.registry = registry
        self.events = events
        self.policy = policy
        self.logger = logger
        self.startedAt = Date()
    }

    public func handle(_ request: APIRequest) async -> APIResponse {
        await handle(request, APIRoute.match(request.method, request.path))
    }

    /// The same, with what the request's method and path found in the route table.
    func handle(_ request: APIRequest, _ match: APIRoute.Match) async -> APIResponse {
        var response: APIResponse
        let report = OperationReport()
        do {
            response = try await OperationReport.$current.withValue(report) { try await route(request, match) }
            if report.readerUnsafe, case .body(let status, let type, let body, var headers) = response {
                // Only a JSON object gets the member; any other answer (a JP2 photo) the header.
                if let marked = OperationReport.addingReaderUnsafe(to: body, contentType: type) {
                    response = .body(status, contentType: type, marked, headers: headers)
                } else {
                    headers.replaceOrAdd(name: OperationReport.readerUnsafeHeader, value: "true")
                    response = .body(status, contentType: type, body, headers: headers)
                }
            }
        } catch {
            var api = APIError.from(error)
            if report.readerUnsafe { api.readerUnsafe = true }
            response = .error(api)
        }
        logAccess(request, response)
        return response
    }

    /// The answer when memory holds it (the cached reader list, the documents, the start of an
    /// event stream, and every refusal of the route table or access control), given on the
    /// caller's thread without a wait; nil when the request must run (``handle(_:_:)``).
    func answerNow(_ request: APIRequest, _ match: APIRoute.Match) -> APIResponse? {
        let response: APIResponse
        do {
            let (route, _) = try resolve(request, match)
            guard case .service(let endpoint) = route.endpoint, let answer = try serviceNow(request, endpoint) else {
                return nil
            }
            response = answer
        } catch {
            response = .error(APIError.from(error))
        }
        logAccess(request, response)
        return response
    }

    /// An access line costs nothing at the default level. The log handler escapes the path.
    private func logAccess(_ request: APIRequest, _ response: APIResponse) {
        guard logger.logLevel <= .debug else { return }
        var metadata: Logger.Metadata = [
            "method": "\(request.method.rawValue)", "path": "\(request.path)", "uid": "\(request.peer.uid)",
        ]
        if case .body(let status, _, _, _) = response { metadata["status"] = "\(status.code)" }
        logger.debug("request", metadata: metadata)
    }

    /// The route and its path parameters, once the caller may use it.
    private func resolve(_ request: APIRequest, _ match: APIRoute.Match) throws -> (APIRoute, [String: String]) {
        // Only what the route table has is dispatched (docs/openapi.yaml lists the same routes).
        let route: APIRoute
        let parameters: [String: String]
        switch match {
        case .found(let found, let values): (route, parameters) = (found, values)
        case .methodNotAllowed(let methods): throw Self.methodNotAllowed(request.method, methods)
        case .notFound: throw APIError.notFound("no such path: \(Self.quote(request.path))")
        }
        // Authorise before anything is looked up: a refused caller cannot tell which readers exist.
        try authorize(request, route.access)
        return (route, parameters)
    }

    private func route(_ request: APIRequest, _ match: APIRoute.Match) async throws -> APIResponse {
        let (route, parameters) = try resolve(request, match)
        switch route.endpoint {
        case .service(let endpoint):
            return try await serviceRoute(request, endpoint)
        case .reader(let endpoint):
            // `/v1/readers/{id}/...` names the reader; `/v1/card/...` means the one holding a card.
            let session: ReaderSession
            if let id = parameters["id"] {
                session = try await registry.session(id: id)
            } else {
                session = try await registry.soleCardSession()
            }
            return try await readerRoute(request, endpoint, session, parameters)
        }
    }

    private func serviceRoute(_ request: APIRequest, _ endpoint: APIRoute.ServiceEndpoint) async throws
        -> APIResponse
    {
        if let answer = try serviceNow(request, endpoint) { return answer }
        // What memory does not hold: the registry's health, and the reader list on the first
        // request after the day in Japan turned (certificate views change with it: the sessions
        // post anew).
        if endpoint == .health {
            return .json(
                HealthView(
                    version: Self.version, uptimeSeconds: Int(Date().timeIntervalSince(startedAt)),
                    pcsc: await registry.pcscAvailable ? "connected" : "unavailable",
                    readers: await registry.readerCount))
        }
        for session in await registry.allSessions() { await session.postView() }
        return readerList()
    }

    private func readerList() -> APIResponse {
        .body(.ok, contentType: "application/json", registry.board.listBody())
    }

    /// The service answers memory holds; nil for health, and for the reader list on the first
    /// request after the day in Japan turned.
    private func serviceNow(_ request: APIRequest, _ endpoint: APIRoute.ServiceEndpoint) throws -> APIResponse? {
        switch endpoint {
        case .health:
            return nil
        case .events:
            guard let last = request.headers.first(name: "last-event-id") else { return .events(after: nil) }
            guard let id = UInt64(last) else { throw APIError.badRequest("Last-Event-ID must be an event id") }
            return .events(after: id)
        case .openAPI:
            return .body(.ok, contentType: "application/json", OpenAPIDocument.bytes)
        case .metrics:
            return .body(.ok, contentType: DaemonMetrics.contentType, metrics.exposition())
        case .readers:
            // Served from the board the sessions keep current: no actor hop, no encoding.
            return registry.board.isCurrent(at: Date()) ? readerList() : nil
        }
    }

    private func readerRoute(
        _ request: APIRequest, _ endpoint: APIRoute.ReaderEndpoint, _ session: ReaderSession,
        _ parameters: [String: String]
    ) async throws -> APIResponse {
        switch endpoint {
        case .reader:
            if try flag(request, "refresh") { return .json(try await session.refresh()) }
            return .json(await session.view())
        case .signCertificate:
            let body = try decode(PINRequest.self, request)
            return .json(
                try await session.signCertificate(
                    pin: body.pin, cardId: body.cardId, confirmFinalAttempt: body.confirmFinalAttempt ?? false))
        case .certificate:
            let name = parameters["slot"] ?? ""
            guard let slot = CertificateSlot(rawValue: name), slot != .sign else {
                throw APIError.notFound("no certificate '\(Self.quote(name))'; use auth, auth-ca or sign-ca")
            }
            let info = try await session.certificate(slot)
            switch request.query["format"] ?? "pem" {
            case "pem": return .body(.ok, contentType: "application/x-pem-file", Array(info.pem.utf8))
            case "der": return .body(.ok, contentType: "application/pkix-cert", info.der)
            case let other: throw APIError.badRequest("format '\(Self.quote(other))' is not pem or der")
            }
        case .verifyPIN:
            // The PINs with a verify of their own (both JUKI PINs, and the card-face birth-date
            // key); 照合番号A/B are used by the card-data reads.
            guard let kind = PINKind(rawValue: parameters["kind"] ?? ""), Self.verifiablePINs.contains(kind) else {
                throw APIError.notFound(
                    "no such PIN; use \(Self.verifiablePINs.map(\.rawValue).joined(separator: ", "))")
            }
            let body = try decode(PINRequest.self, request)
            return .json(
                try await session.verify(
                    kind, pin: body.pin, cardId: body.cardId, confirmFinalAttempt: body.confirmFinalAttempt ?? false))
        case .sign:
            let body = try decode(SignRequest.self, request)
            guard let key = SigningKey(rawValue: body.key) else {
                throw APIError(.badRequest, "key must be \"auth\" or \"sign\"", status: .unprocessableEntity)
            }
            let digestInfo = try Self.digestInfo(body)
            return .json(
                try await session.sign(
                    key: key, pin: body.pin, digestInfo: digestInfo, cardId: body.cardId,
                    confirmFinalAttempt: body.confirmFinalAttempt ?? false))
        case .authenticate:
            let body = try decode(AuthenticateRequest.self, request)
            return .json(try await session.authenticate(body))
        case .cardText: return try await cardTextRoute(request, session)
        case .cardFace: return try await cardFaceRoute(request, session)
        case .cardFaceCheck: return try await cardFaceCheckRoute(request, session)
        case .ageCheck: return try await ageCheckRoute(request, session)
        case .cardTextCheck: return try await cardTextCheckRoute(request, session)
        case .changePIN: return try await pinChangeRoute(request, session, parameters["kind"] ?? "")
        }
    }

    static func digestInfo(_ body: SignRequest) throws -> DigestInfo {
        let name = body.digestAlgorithm ?? "sha256"
        guard let algorithm = DigestAlgorithm(rawValue: name) else {
            throw APIError(
                .badRequest, "digestAlgorithm must be sha1, sha256, sha384 or sha512", status: .unprocessableEntity)
        }
        switch (body.digest, body.data) {
        case (let digest?, nil):
            guard let bytes = strictBase64(digest) else {
                throw APIError.badRequest("digest is not base64 or is empty")
            }
            return try DigestInfo(algorithm: algorithm, digest: bytes)
        case (nil, let data?):
            guard let bytes = strictBase64(data) else { throw APIError.badRequest("data is not base64 or is empty") }
            return DigestInfo(algorithm: algorithm, hashing: bytes)
        default:
            throw APIError.badRequest("give exactly one of digest and data (base64)")
        }
    }

    /// `405`, with the methods the path takes (the `Allow` header).
    static func methodNotAllowed(_ method: HTTPMethod, _ methods: [HTTPMethod]) -> APIError {
        var error = APIError(
            .methodNotAllowed,
            "\(method.rawValue) is not allowed here; use " + methods.map(\.rawValue).joined(separator: " or "),
            status: .methodNotAllowed)
        error.allowedMethods = methods
        return error
    }

    private func authorize(_ request: APIRequest, _ level: AccessLevel) throws {
        let allowed = request.access?.allows(level, under: policy) ?? policy.current.allows(request.peer, level)
        guard allowed else {
            logger.warning(
                "forbidden",
                metadata: ["uid": "\(request.peer.uid)", "gid": "\(request.peer.gid)", "path": "\(request.path)"])
            throw APIError.forbidden
        }
    }

    private func flag(_ request: APIRequest, _ name: String) throws -> Bool {
        switch request.query[name] {
        case nil, "false", "0": return false
        case "", "true", "1": return true
        case let other?: throw APIError.badRequest("\(name)=\(other) is not true or false")
        }
    }

    /// A client-supplied string as an error message may echo it: escaped and at most 64 characters.
    static func quote(_ text: String) -> String {
        let escaped = JournalLogHandler.escape(text)
        return escaped.count > 64 ? escaped.prefix(64) + "…" : escaped
    }

    /// Standard base64 (padding optional), non-empty and decoding to at least one byte.
    static func strictBase64(_ text: String) -> [UInt8]? {
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        let body = text.utf8.reversed().drop { $0 == UInt8(ascii: "=") }
        let padding = text.utf8.count - body.count
        guard !body.isEmpty, padding <= 2, body.allSatisfy(alphabet.contains),
            (body.count + padding) % 4 == 0 || padding == 0
        else { return nil }
        let padded = text + String(repeating: "=", count: (4 - text.utf8.count % 4) % 4)
        guard let data = Data(base64Encoded: padded), !data.isEmpty else { return nil }
        return Array(data)
    }

    /// Decodes a JSON body strictly: an object, only the keys the type codes (``RequestBody``), no
    /// key twice, the right types.
    func decode<T: RequestBody>(_ type: T.Type, _ request: APIRequest) throws -> T {
        let allowed = T.fields
        // The body must be JSON whatever Content-Type says (curl -d sends a form type).
        guard !request.body.isEmpty else { throw APIError.badRequest("a JSON body is required") }
        guard let keys = JSONTopLevelKeys.of(request.body) else {
            throw APIError.badRequest("the body is not a JSON object")
        }
        if let duplicate = JSONDuplicateKey.first(in: request.body) {
            throw APIError.badRequest("field '\(JournalLogHandler.escape(duplicate).prefix(64))' is given twice")
        }
        if let unknown = keys.filter({ !allowed.contains($0) }).sorted().first {
            throw APIError.badRequest("unknown field '\(Self.quote(unknown))'")
        }
        let value: T
        do {
            // Decoded from the body's own bytes: a `Data` copy (a PIN among its bytes) would
            // stay behind unwiped.
            value = try request.body.withUnsafeBytes { raw in
                let bytes = Data(
                    bytesNoCopy: UnsafeMutableRawPointer(mutating: raw.baseAddress!), count: raw.count,
                    deallocator: .none)
                return try APIJSON.decoder().decode(T.self, from: bytes)
            }
        } catch DecodingError.keyNotFound(let key, _) {
            throw APIError.badRequest("missing field '\(key.stringValue)'")
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw APIError.badRequest("field '\(field)' has the wrong type")
        } catch {
            throw APIError.badRequest("the body does not match the request")
        }
        // A PIN or card-face code goes only with the insertion it is meant for.
        if allowed.contains("cardId"), (value as? any CardBoundRequest)?.cardId == nil {
            throw APIError.cardIdRequired
        }
        return value
    }
}

extension APIHandler {
    /// The PINs `POST .../pins/{kind}/verify` serves.
    static let verifiablePINs: [PINKind] = [.auth, .sign, .cardText, .juki, .jukiAP, .cardFaceBirthDate]
}
