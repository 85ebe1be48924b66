import JPKIAPI

extension APIError {
    /// `400 bad_request` naming the missing field: a body whose fields include `cardId` (a
    /// ``CardBoundRequest``) must give it. ``APIHandler/decode(_:_:)`` also refuses such a body whose
    /// type is not a ``CardBoundRequest``: a new request type fails closed until it says it is one.
    static let cardIdRequired = APIError.badRequest(
        "missing field 'cardId': send the card's insertion id (card.cardId from GET /v1/readers) with every "
            + "PIN or card-face code")
}
