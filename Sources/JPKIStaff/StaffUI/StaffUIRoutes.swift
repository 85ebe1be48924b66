import ErrorCodes
import FoundationEssentials
import JPKIAPI
import JPKIClient
import NIOCore

/// What the staff page's server answers, once a request has passed the Host, session and CSRF
/// checks (``StaffUIAccess``).
///
/// - `GET /` the page (its `<meta name="staff-token">` holds the session's CSRF token),
///   `GET /app.js`, `GET /app.css` its parts; `GET /launch.js` (no secret: it only sends a new
///   session's browser on to `/`);
/// - `GET /api/state?lang=ja|en` the readers and cards in words, with the findings of the
///   diagnose rules (``StaffView``);
/// - `POST /api/readers/{id}/card-face/check?lang=`: the 本人確認 view (``StaffUIGenuine``);
/// - `POST /api/readers/{id}/pins/{kind}/verify?lang=` forwards the body (PIN, cardId,
///   confirmFinalAttempt) to jpkid and answers with the result in words. The body is never
///   logged, echoed or kept.
struct StaffUIRoutes: Sendable {
    let jpkid: UnixHTTPClient
    let access: StaffUIAccess

    static let pageSecurity =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        + "form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

    /// The answer, on `loop`; calls to jpkid do not block it. `csrf` is the session's token (for
    /// the page); when `abandoned` completes (the browser left), a request to jpkid is closed.
    func respond(
        to request: StaffUIRequest, csrf: String?, abandoned: EventLoopFuture<Void>, on loop: any EventLoop
    ) -> EventLoopFuture<StaffUIResponse> {
        let diagnosis = Diagnosis(language: request.query["lang"] == "en" ? .english : .japanese)
        switch (request.method, request.path) {
        case ("GET", "/api/state"):
            return state(diagnosis).map { json(200, $0) }.hop(to: loop)
        case ("POST", let path) where StaffUIGenuine.checkTarget(path) != nil:
            return StaffUIGenuine(jpkid: jpkid).check(
                reader: StaffUIGenuine.checkTarget(path)!, body: request.body, diagnosis, abandoned: abandoned
            ).hop(to: loop)
        case ("POST", let path):
            guard let (reader, kind) = Self.verifyTarget(path) else {
                return loop.makeSucceededFuture(json(404, ["error": "not_found"]))
            }
            return verify(reader: reader, kind: kind, body: request.body, diagnosis, abandoned: abandoned).hop(to: loop)
        default:
            return loop.makeSucceededFuture(page(request, csrf: csrf ?? ""))
        }
    }

    /// The answer to `POST /session` (with the session cookie added): a page that replaces
    /// itself with `/`, so the POST leaves no entry in the history and the next load is a
    /// same-site navigation that carries the `SameSite=Strict` cookie.
    static let launchPage = StaffUIResponse(
        status: 200, contentType: "text/html; charset=utf-8",
        body: Data(
            """
            <!DOCTYPE html>
            <html lang="ja"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
            <title>jpkid staff page</title><script src="/launch.js"></script></head>
            <body><p><a href="/">窓口画面 / staff page</a></p></body></html>

            """.utf8),
        extraHeaders: [("Content-Security-Policy", pageSecurity)])

    /// The page, its parts and the refusals: no call to jpkid.
    func page(_ request: StaffUIRequest, csrf: String) -> StaffUIResponse {
        switch (request.method, request.path) {
        case ("GET", "/launch.js"):
            return StaffUIResponse(
                status: 200, contentType: "text/javascript; charset=utf-8",
                body: Data("location.replace(\"/\");\n".utf8))
        case ("GET", "/"), ("GET", "/index.html"):
            return StaffUIResponse(
                status: 200, contentType: "text/html; charset=utf-8",
                body: Data(StaffUIAssets.indexHTML.replacing("__TOKEN__", with: csrf).utf8),
                extraHeaders: [("Content-Security-Policy", Self.pageSecurity)])
        case ("GET", "/app.js"):
            return StaffUIResponse(
                status: 200, contentType: "text/javascript; charset=utf-8", body: Data(StaffUIAssets.appJS.utf8))
        case ("GET", "/app.css"):
            return StaffUIResponse(
                status: 200, contentType: "text/css; charset=utf-8", body: Data(StaffUIAssets.appCSS.utf8))
        case ("GET", "/genuine.js"):
            return StaffUIResponse(
                status: 200, contentType: "text/javascript; charset=utf-8", body: Data(StaffUIAssets.genuineJS.utf8))
        case ("GET", "/genuine.css"):
            return StaffUIResponse(
                status: 200, contentType: "text/css; charset=utf-8", body: Data(StaffUIAssets.genuineCSS.utf8))
        case (_, "/"), (_, "/app.js"), (_, "/app.css"), (_, "/api/state"), (_, "/genuine.js"), (_, "/genuine.css"):
            return StaffUIResponse(status: 405, contentType: "text/plain", body: Data("method not allowed".utf8))
        default:
            return StaffUIResponse(status: 404, contentType: "text/plain", body: Data("not found".utf8))
        }
    }

    /// `/api/readers/r1a2b3c/pins/auth/verify` → (`r1a2b3c`, `auth`); nil for anything else.
    static func verifyTarget(_ path: String) -> (String, String)? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 7, parts[0].isEmpty, parts[1] == "api", parts[2] == "readers", parts[4] == "pins",
            parts[6] == "verify",
            parts[3].wholeMatch(of: /r[0-9a-f]{6}/) != nil, parts[5].wholeMatch(of: /[a-z][a-z0-9-]{0,31}/) != nil
        else { return nil }
        return (String(parts[3]), String(parts[5]))
    }

    func state(_ diagnosis: Diagnosis) -> EventLoopFuture<StaffView> {
        jpkid.response("GET", "/v1/readers").map { response in
            guard response.status == 200,
                let list = try? APIJSON.decoder().decode(ReaderList.self, from: response.body)
            else {
                let code = (try? APIJSON.decoder().decode(ErrorBody.self, from: response.body))?.error.code
                return StaffView(
                    language: diagnosis.language == .japanese ? "ja" : "en", readers: [],
                    problem: diagnosis.staffMessage(code ?? .jpkidUnreachable))
            }
            return StaffView(list, diagnosis: diagnosis)
        }.recover { _ in .unreachable(diagnosis) }
    }

    /// The answer to the page's verify: `{status, code, pin?, message}`.
    struct VerifyAnswer: Codable {
        var status: Int
        var code: String
        var pin: PINView?
        var remaining: Int?
        var message: StaffMessage
    }

    func verify(
        reader: String, kind: String, body: Data, _ diagnosis: Diagnosis, abandoned: EventLoopFuture<Void>? = nil
    ) -> EventLoopFuture<StaffUIResponse> {
        jpkid.response("POST", "/v1/readers/\(reader)/pins/\(kind)/verify", json: body, abandoned: abandoned).map {
            response in
            if response.status == 200,
                let ok = try? APIJSON.decoder().decode(VerifyResponse.self, from: response.body)
            {
                return json(
                    200,
                    VerifyAnswer(
                        status: 200, code: "verified", pin: ok.pin, remaining: ok.pin.remaining,
                        message: diagnosis.staffMessage(.verified)))
            }
            let detail = (try? APIJSON.decoder().decode(ErrorBody.self, from: response.body))?.error
            let code = detail?.code ?? ErrorCode(rawValue: "http_\(response.status)")
            return json(
                response.status,
                VerifyAnswer(
                    status: response.status, code: code.rawValue, remaining: detail?.remaining,
                    message: diagnosis.staffMessage(code, remaining: detail?.remaining)))
        }.recover { _ in
            let message = diagnosis.staffMessage(.jpkidUnreachable)
            return json(502, VerifyAnswer(status: 502, code: message.code, message: message))
        }
    }

    func json(_ status: Int, _ value: some Encodable) -> StaffUIResponse {
        let body = (try? APIJSON.encoder().encode(value)) ?? Data("{}".utf8)
        return StaffUIResponse(status: status, contentType: "application/json; charset=utf-8", body: body)
    }
}
