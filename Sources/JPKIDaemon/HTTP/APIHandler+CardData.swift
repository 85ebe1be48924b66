import ErrorCodes
import FoundationEssentials
import JPKIAPI
import MyNumberCard
import NIOHTTP1

/// Routes of the card data. The operator group only; answers with personal data carry
/// `Cache-Control: no-store`.
extension APIHandler {
    static let noStore: HTTPHeaders = ["cache-control": "no-store"]

    /// `POST /v1/readers/{id}/card-text`.
    func cardTextRoute(_ request: APIRequest, _ session: ReaderSession) async throws -> APIResponse {
        let body = try decode(CardTextRequest.self, request)
        let fields = try Self.cardTextFields(body.fields)
        let text = try await session.cardText(
            try body.credential(), fields: fields, cardId: body.cardId,
            confirmFinalAttempt: body.confirmFinalAttempt ?? false)
        return .json(text, headers: Self.noStore)
    }

    /// `POST /v1/readers/{id}/card-face`; `?part=photo` answers the raw `image/jp2`.
    func cardFaceRoute(_ request: APIRequest, _ session: ReaderSession) async throws -> APIResponse {
        let part = request.query["part"]
        guard part == nil || part == "photo" else { throw APIError.badRequest("part must be photo") }
        let body = try decode(CardFaceRequest.self, request)
        let face = try await session.cardFace(
            try body.credential(), cardId: body.cardId, confirmFinalAttempt: body.confirmFinalAttempt ?? false)
        if part == "photo" {
            return .body(.ok, contentType: "image/jp2", face.photo, headers: Self.noStore)
        }
        return .json(CardFaceResponse(face), headers: Self.noStore)
    }

    /// `POST /v1/readers/{id}/card-face/check`: the IC-chip check (reference 13).
    func cardFaceCheckRoute(_ request: APIRequest, _ session: ReaderSession) async throws -> APIResponse {
        let body = try decode(CardFaceCheckRequest.self, request)
        return .json(try await session.checkCardFace(body), headers: Self.noStore)
    }

    /// `POST /v1/readers/{id}/card-text/check`: the card text and its check (reference 13.3); the body is card-text's.
    func cardTextCheckRoute(_ request: APIRequest, _ session: ReaderSession) async throws -> APIResponse {
        let body = try decode(CardTextRequest.self, request)
        let fields = try Self.cardTextFields(body.fields)
        let answer = try await session.checkCardText(
            try body.credential(), fields: fields, cardId: body.cardId,
            confirmFinalAttempt: body.confirmFinalAttempt ?? false)
        return .json(answer, headers: Self.noStore)
    }

    /// The card-text fields a body names; absent means ``CardText/Field/defaults`` (all but the my
    /// number, which is read only when named).
    static func cardTextFields(_ names: [String]?) throws -> Set<CardText.Field> {
        guard let names else { return CardText.Field.defaults }
        let fields = try Set(
            names.map { name in
                guard let field = CardText.Field(rawValue: name) else {
                    throw APIError.badRequest("unknown field '\(name)'; use myNumber, name, address, birthDate or sex")
                }
                return field
            })
        guard !fields.isEmpty else { throw APIError.badRequest("fields is empty") }
        return fields
    }

    /// `POST /v1/readers/{id}/age-check`: at least N years old on date D (reference 13).
    func ageCheckRoute(_ request: APIRequest, _ session: ReaderSession) async throws -> APIResponse {
        let body = try decode(AgeCheckRequest.self, request)
        return .json(try await session.checkAge(body), headers: Self.noStore)
    }

    /// `POST /v1/readers/{id}/pins/{kind}/change`.
    func pinChangeRoute(_ request: APIRequest, _ session: ReaderSession, _ kindName: String) async throws
        -> APIResponse
    {
        guard let kind = PINKind(rawValue: kindName), MyNumberCard.changeablePINs.contains(kind) else {
            throw APIError.notFound("no changeable PIN '\(kindName)'; use auth, sign or card-text")
        }
        let body = try decode(PINChangeRequest.self, request)
        return .json(
            try await session.changePIN(
                kind, pin: body.pin, newPIN: body.newPin, cardId: body.cardId,
                confirmFinalAttempt: body.confirmFinalAttempt ?? false))
    }
}
