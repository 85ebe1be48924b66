import Crypto
import Foundation
import JPKIAPI
import MyNumberCard
import NIOHTTP1
import Testing

@testable import JPKIDaemon

/// The embedded OpenAPI document, parsed.
enum EmbeddedDocument {
    static func load() throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(OpenAPIDocument.bytes)) as? [String: Any])
    }

    /// `METHOD template` of every operation in the document, with its `x-jpkid-access`.
    static func operations() throws -> [String: String] {
        let paths = try #require(try load()["paths"] as? [String: [String: Any]])
        var operations: [String: String] = [:]
        for (path, item) in paths {
            for (key, value) in item {
                guard ["get", "put", "post", "delete", "options", "head", "patch", "trace"].contains(key) else {
                    continue
                }
                let operation = try #require(value as? [String: Any])
                operations["\(key.uppercased()) \(path)"] = operation["x-jpkid-access"] as? String ?? "(none)"
            }
        }
        return operations
    }

    /// The error codes the document allows for an HTTP status.
    static func codes(for status: Int) throws -> Set<String> {
        let document = try load()
        let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
        let schema = try #require(schemas["Error\(status)"] as? [String: Any], "no Error\(status) schema")
        let code =
            try #require(
                ((schema["properties"] as? [String: Any])?["error"] as? [String: Any])?["properties"] as? [String: Any])[
                "code"] as? [String: Any]
        let allowed = (code?["enum"] as? [String]).map(Set.init) ?? (code?["const"] as? String).map { [$0] } ?? []
        let all = Set(try #require((schemas["ErrorCode"] as? [String: Any])?["enum"] as? [String]))
        #expect(allowed.isSubset(of: all), "Error\(status) names codes ErrorCode does not list")
        return allowed
    }
}

@Suite("OpenAPI document and route table")
struct OpenAPITests {
    /// A route cannot be in the handler without being in the document, nor the other way round.
    @Test func theRouteTableAndTheDocumentListTheSameOperations() throws {
        let documented = try EmbeddedDocument.operations()
        var table: [String: String] = [:]
        for route in APIRoute.all {
            let key = "\(route.method.rawValue) \(route.template)"
            #expect(table[key] == nil, "\(key) is in the table twice")
            table[key] = route.access == .operate ? "operator" : "status"
        }
        let onlyInTable = Set(table.keys).subtracting(documented.keys).sorted()
        let onlyInDocument = Set(documented.keys).subtracting(table.keys).sorted()
        #expect(onlyInTable.isEmpty, "routes the document does not list: \(onlyInTable)")
        #expect(onlyInDocument.isEmpty, "operations the daemon does not serve: \(onlyInDocument)")
        for (key, access) in table where documented[key] != nil {
            #expect(
                documented[key] == access,
                "\(key): x-jpkid-access is \(documented[key] ?? ""), the table says \(access)")
        }
    }

    /// The fields a route's body may have are its request type's `CodingKeys`: the same set the
    /// document lists as the body schema's properties (`additionalProperties: false`), for every
    /// POST; a GET takes no body.
    @Test func eachRouteTakesTheBodyFieldsTheDocumentLists() throws {
        let document = try EmbeddedDocument.load()
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
        for route in APIRoute.all {
            guard case .reader(let endpoint) = route.endpoint else { continue }
            let operation = try #require(paths[route.template]?[route.method.rawValue.lowercased()] as? [String: Any])
            let schema =
                ((operation["requestBody"] as? [String: Any])?["content"] as? [String: Any])?["application/json"]
                as? [String: Any]
            guard let body = endpoint.body else {
                #expect(schema == nil, "\(route.template) takes no body, the document gives it one")
                continue
            }
            let reference = try #require((schema?["schema"] as? [String: Any])?["$ref"] as? String, "\(route.template)")
            let name = String(try #require(reference.split(separator: "/").last))
            let documented = try #require(schemas[name] as? [String: Any])
            #expect(documented["additionalProperties"] as? Bool == false, "\(name)")
            let properties = Set(try #require(documented["properties"] as? [String: Any]).keys)
            #expect(body.fields == properties, "\(route.method.rawValue) \(route.template): \(body) vs \(name)")
        }
    }

    /// Run scripts/embed-openapi.py after editing docs/openapi.yaml.
    @Test func theEmbeddedDocumentIsMadeFromDocsOpenAPIYAML() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let yaml = try Data(contentsOf: root.appendingPathComponent("docs/openapi.yaml"))
        let digest = SHA256.hash(data: yaml).map { String(format: "%02x", $0) }.joined()
        #expect(digest == OpenAPIDocument.sourceSHA256, "docs/openapi.yaml changed: run scripts/embed-openapi.py")
        let document = try EmbeddedDocument.load()
        #expect((document["openapi"] as? String)?.hasPrefix("3.1.") == true)
    }

    @Test func matchingPrefersLiteralsAndAnswersTheMethodsAPathTakes() {
        #expect(
            APIRoute.match(.POST, "/v1/readers/r123456/certificates/sign")
                == .found(
                    APIRoute.all.first { $0.template == "/v1/readers/{id}/certificates/sign" }!,
                    parameters: ["id": "r123456"]))
        guard case .found(let route, let parameters) = APIRoute.match(.GET, "/v1/card/certificates/auth-ca") else {
            Issue.record("no match")
            return
        }
        #expect(route.template == "/v1/card/certificates/{slot}" && parameters == ["slot": "auth-ca"])
        #expect(APIRoute.match(.GET, "/v1/card/certificates/sign") == .methodNotAllowed([.POST]))
        #expect(APIRoute.match(.POST, "/v1/card/certificates/auth") == .methodNotAllowed([.GET]))
        #expect(APIRoute.match(.DELETE, "/v1/readers") == .methodNotAllowed([.GET]))
        #expect(APIRoute.match(.GET, "/v1/readers/r1/pins") == .notFound)
        #expect(APIRoute.match(.GET, "/v2/health") == .notFound)
        #expect(APIRoute.match(.GET, "//v1//health/") != .notFound)
    }

    @Test func theShortcutForParameterlessPathsMatchesWhatWalkingTheRoutesFinds() {
        // Every template (parameters filled in), as it is and with extra slashes, by every method.
        var paths: [String] = []
        for route in APIRoute.all {
            let path = route.template.replacing(/\{[a-z]+\}/, with: "x1")
            paths += [path, path + "/", "/" + path, path.replacing("/v1/", with: "/v1//")]
        }
        for path in paths {
            for method in [HTTPMethod.GET, .POST, .PUT, .DELETE, .HEAD] {
                #expect(APIRoute.match(method, path) == APIRoute.walk(method, path), "\(method) \(path)")
            }
        }
        // The shortcut was taken: the parameterless templates themselves are among the paths.
        let parameterless = APIRoute.all.filter { !$0.template.contains("{") }.map(\.template)
        #expect(parameterless.count >= 5 && parameterless.allSatisfy(paths.contains))
    }

    /// What the metrics label requests with: the template, never the path as it came.
    @Test func aPathMapsToItsTemplateWhateverTheMethod() {
        #expect(APIRoute.template(for: "/v1/readers/rabcdef/pins/auth/verify") == "/v1/readers/{id}/pins/{kind}/verify")
        #expect(APIRoute.template(for: "/v1/readers/rabcdef") == "/v1/readers/{id}")
        #expect(APIRoute.template(for: "/v1/card/certificates/sign") == "/v1/card/certificates/sign")
        #expect(APIRoute.template(for: "/v1/card/certificates/auth") == "/v1/card/certificates/{slot}")
        #expect(APIRoute.template(for: "/v1/secret-path-4711") == nil)
        // template(for:) tries GET and POST: the table must have no other method.
        #expect(APIRoute.all.allSatisfy { $0.method == .GET || $0.method == .POST })
    }

    /// Every code the daemon can answer from the card layer carries a status the document lists
    /// with that code (the contract tests cannot make a real card fail in all these ways).
    @Test func everyCardErrorHasADocumentedStatusAndCode() throws {
        let errors: [CardError] = [
            .pinFormat(.auth, "4 digits"), .wrongPIN(.auth, triesLeft: 2), .pinBlocked(.sign),
            .finalAttempt(.auth), .pinNotAvailable(.juki), .pinRequired("signing"),
            .applicationNotFound(.cardText), .fileNotFound(0x000A), .certificateNotIssued,
            .unsupportedCard("no JPKI"), .malformedResponse("short"), .invalidDigest("length"),
            .invalidCertificate("DER"), .invalidSignature, .pinChangeFailed(.auth, nil, oldPINStands: nil),
        ]
        var apiErrors = errors.map { APIError.from($0) }
        apiErrors += [
            APIError.noCard, APIError.cardBusy, APIError.cardChanged, APIError.forbidden,
            APIError.badRequest("x"), APIError.notFound("x"), APIError.from(CancellationError()),
            APIHandler.methodNotAllowed(.PUT, [.GET]),
        ]
        for error in apiErrors {
            let codes = try EmbeddedDocument.codes(for: Int(error.status.code))
            #expect(codes.contains(error.code.rawValue), "\(error.code) with \(error.status.code) is not documented")
        }
    }

    /// The document (about 50 KB) is larger than the socket buffers: each answer to a
    /// `Connection: close` request (as UnixHTTPClient sends) must arrive whole, not cut at the close.
    @Test func jpkidServesTheDocument() async throws {
        try await DaemonFixture.with(try DaemonFixture()) { d in
            #expect(OpenAPIDocument.bytes.count > 40_000)
            for _ in 0..<10 {
                let r = try await d.request("GET", "/v1/openapi.json")
                #expect(r.status == 200)
                #expect(r.headers["content-type"] == "application/json")
                #expect(Array(r.body) == OpenAPIDocument.bytes)
            }
            let wrongMethod = try await d.request("POST", "/v1/openapi.json", json: "{}")
            #expect(wrongMethod.status == 405 && wrongMethod.headers["allow"] == "GET")
        }
    }

    /// The route's level is checked before the reader is looked up: a status member cannot tell
    /// an existing reader from another by POSTing to it; a status member reads the document.
    @Test(.enabled(if: canSwitchUsers, "needs root, setpriv and curl"))
    func theRouteLevelIsCheckedBeforeTheReaderIsLookedUp() async throws {
        let fixture = try DaemonFixture(statusGroup: "65534", operatorGroup: "65533", socketGroup: "65530")
        try await DaemonFixture.with(fixture) { d in
            for reader in [try await d.readerID(), "r000000"] {
                let r = try await curlAs(
                    uid: 65534, gid: 65534, groups: [65530], socket: d.socketPath, "POST", "/v1/readers/\(reader)/sign",
                    body: #"{"key":"auth","pin":"1234","data":"aGk="}"#)
                #expect(r.status == 403, "\(reader)")
            }
            let document = try await curlAs(
                uid: 65534, gid: 65534, groups: [65530], socket: d.socketPath, "GET", "/v1/openapi.json")
            #expect(document.status == 200)
            let stranger = try await curlAs(
                uid: 65532, gid: 65532, groups: [65530], socket: d.socketPath, "GET", "/v1/openapi.json")
            #expect(stranger.status == 403)
        }
    }
}
