import JPKIAPI

/// The IC-chip and age checks send a card-face code: they name the insertion they are meant for
/// like every PIN request (``CardBoundRequest``). The card-text check's body is card-text's.
extension CardFaceCheckRequest: CardBoundRequest {}
extension AgeCheckRequest: CardBoundRequest {}
