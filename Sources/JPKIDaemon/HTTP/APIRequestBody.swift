import JPKIAPI

/// A request body the API decodes strictly (``APIHandler/decode(_:_:)``): the JSON keys it takes
/// are its `CodingKeys`, so the fields a route accepts and the fields its type decodes are one list.
protocol APIRequestBody: Decodable {
    associatedtype CodingKeys: CodingKey & CaseIterable
    /// The keys a body may have; any other is refused as an unknown field.
    static var fields: Set<String> { get }
}

extension APIRequestBody {
    static var fields: Set<String> { Set(CodingKeys.allCases.map(\.stringValue)) }
}

extension PINRequest: APIRequestBody {}
extension SignRequest: APIRequestBody {}
extension AuthenticateRequest: APIRequestBody {}
extension PINChangeRequest: APIRequestBody {}
extension CardTextRequest: APIRequestBody {}
extension CardFaceRequest: APIRequestBody {}
extension AgeCheckRequest: APIRequestBody {}

extension CardFaceCheckRequest: APIRequestBody {
    /// The card-face read's fields and the check's own, side by side in one object.
    static var fields: Set<String> { CardFaceRequest.fields.union(CodingKeys.allCases.map(\.stringValue)) }
}
