/// A request body jpkid decodes strictly: the JSON keys it accepts are its `CodingKeys`, so the
/// fields a route takes and the fields its type decodes are one list. A key outside it is refused
/// as an unknown field.
public protocol RequestBody: Codable, Sendable {
    associatedtype CodingKeys: CodingKey & CaseIterable
    /// The keys a body may have.
    static var fields: Set<String> { get }
}

extension RequestBody {
    public static var fields: Set<String> { Set(CodingKeys.allCases.map(\.stringValue)) }
}

/// A request body that sends a PIN or a card-face code to a card, and so names the insertion it
/// is meant for (``CardView/cardId``): jpkid refuses it without `cardId` (since API 0.2), so a
/// request never reaches a card swapped under its client.
public protocol CardBoundRequest: RequestBody {
    var cardId: String? { get }
}
