import ErrorCodes
import FoundationEssentials
import JPKIAPI
import JPKIClient
import NIOCore

/// The staff page's 本人確認 (IC chip check) view, server side: `POST
/// /api/readers/{id}/card-face/check?lang=` forwards the body (照合番号B or PIN A, cardId, photo)
/// to jpkid's `POST /v1/readers/{id}/card-face/check` and answers `{status, code, message,
/// check?}`: jpkid's verdict, steps and face on success, the outcome in words otherwise. The body
/// and the answer (personal data) are never logged or kept.
struct StaffUIGenuine: Sendable {
    let jpkid: UnixHTTPClient

    /// `/api/readers/r1a2b3c/card-face/check` → `r1a2b3c`; nil for anything else.
    static func checkTarget(_ path: String) -> String? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0].isEmpty, parts[1] == "api", parts[2] == "readers", parts[4] == "card-face",
            parts[5] == "check", parts[3].wholeMatch(of: /r[0-9a-f]{6}/) != nil
        else { return nil }
        return String(parts[3])
    }

    /// The answer to the page's check.
    struct Answer: Codable {
        var status: Int
        var code: String
        var remaining: Int?
        var message: StaffMessage?
        var check: CardFaceCheckResponse?
    }

    /// Relays the check; when `abandoned` completes (the browser left), the request to jpkid is
    /// closed, so jpkid cancels it before the card sees 照合番号B or PIN A.
    func check(
        reader: String, body: Data, _ diagnosis: Diagnosis, abandoned: EventLoopFuture<Void>? = nil
    ) -> EventLoopFuture<StaffUIResponse> {
        jpkid.response("POST", "/v1/readers/\(reader)/card-face/check", json: body, abandoned: abandoned).map {
            response in
            if response.status == 200,
                let check = try? APIJSON.decoder().decode(CardFaceCheckResponse.self, from: response.body)
            {
                return Self.json(200, Answer(status: 200, code: check.verdict, check: check))
            }
            let detail = (try? APIJSON.decoder().decode(ErrorBody.self, from: response.body))?.error
            let code = detail?.code ?? ErrorCode(rawValue: "http_\(response.status)")
            return Self.json(
                response.status,
                Answer(
                    status: response.status, code: code.rawValue, remaining: detail?.remaining,
                    message: diagnosis.staffMessage(code, remaining: detail?.remaining)))
        }.recover { _ in
            let message = diagnosis.staffMessage(.jpkidUnreachable)
            return Self.json(502, Answer(status: 502, code: message.code, message: message))
        }
    }

    static func json(_ status: Int, _ value: some Encodable) -> StaffUIResponse {
        let body = (try? APIJSON.encoder().encode(value)) ?? Data("{}".utf8)
        // Every answer of the ui server carries Cache-Control: no-store (StaffUIResponse).
        return StaffUIResponse(status: status, contentType: "application/json; charset=utf-8", body: body)
    }
}
