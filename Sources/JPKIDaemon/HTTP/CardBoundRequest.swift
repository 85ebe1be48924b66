import JPKIAPI

/// A request body that sends a PIN or a card-face code to a card, and so must name the
/// insertion it is meant for: its `cardId` is required (since API 0.2), so a request can never
/// reach a card that was swapped under its client. ``APIHandler/decode(_:_:)`` refuses a body
/// whose fields include `cardId` but that lacks it (or whose type does not conform here: a new
/// request type fails closed until it is listed).
protocol CardBoundRequest {
    var cardId: String? { get }
}

extension PINRequest: CardBoundRequest {}
extension SignRequest: CardBoundRequest {}
extension AuthenticateRequest: CardBoundRequest {}
extension CardTextRequest: CardBoundRequest {}
extension CardFaceRequest: CardBoundRequest {}
extension PINChangeRequest: CardBoundRequest {}
extension AgeCheckRequest: CardBoundRequest {}

extension CardFaceCheckRequest: CardBoundRequest {
    var cardId: String? { cardFace.cardId }
}

extension APIError {
    /// `400 bad_request` naming the missing field.
    static let cardIdRequired = APIError.badRequest(
        "missing field 'cardId': send the card's insertion id (card.cardId from GET /v1/readers) with every "
            + "PIN or card-face code")
}
