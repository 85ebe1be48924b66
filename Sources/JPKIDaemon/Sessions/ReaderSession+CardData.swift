import ErrorCodes
import JPKIAPI
import MyNumberCard

/// Card data: the card-text AP, the card-face AP and PIN change, each through
/// ``withPIN`` (format and `cardId` checks, then one card transaction: guard, one VERIFY, the
/// work, a reset).
///
/// What they return is personal data: it is handed to the caller and nowhere else: no cache,
/// no log line, no event carries it (events name only the PIN kind).
extension ReaderSession {
    /// Reads the card-text fields `fields` with `credential`; fields it cannot open are refused
    /// before anything reaches the card.
    func cardText(
        _ credential: CardDataCredential, fields: Set<CardText.Field>, cardId: String? = nil, confirmFinalAttempt: Bool
    ) async throws -> CardTextResponse {
        try CardText.Field.check(fields, openedBy: credential.kind)
        let text = try await withPIN(credential.kind, making: credential.make, cardId: cardId) { card, pin in
            try await card.readCardText(pin: pin, fields: fields, confirmFinalAttempt: confirmFinalAttempt)
        }
        await rereadCounter(credential.kind)
        return CardTextResponse(text)
    }

    /// Reads the card-text fields with the card-text PIN.
    public func cardText(
        pin: String, fields: Set<CardText.Field>, cardId: String? = nil, confirmFinalAttempt: Bool
    ) async throws -> CardTextResponse {
        try await cardText(
            CardDataCredential(kind: .cardText) { try PIN(pin, for: .cardText) }, fields: fields, cardId: cardId,
            confirmFinalAttempt: confirmFinalAttempt)
    }

    /// Reads the card face with 照合番号A or B (raw, or B from its printed parts).
    func cardFace(_ credential: CardDataCredential, cardId: String? = nil, confirmFinalAttempt: Bool) async throws
        -> CardFace
    {
        let face = try await withPIN(credential.kind, making: credential.make, cardId: cardId) { card, pin in
            try await card.readCardFace(pin: pin, confirmFinalAttempt: confirmFinalAttempt)
        }
        await rereadCounter(credential.kind)
        return face
    }

    public func cardFace(pinA: String?, pinB: String?, cardId: String? = nil, confirmFinalAttempt: Bool)
        async throws -> CardFace
    {
        try await cardFace(
            try CardFaceRequest(pinA: pinA, pinB: pinB).credential(), cardId: cardId,
            confirmFinalAttempt: confirmFinalAttempt)
    }

    /// Changes a PIN. Both values are checked locally first and must differ; nothing is retried.
    public func changePIN(
        _ kind: PINKind, pin: String, newPIN: String, cardId: String? = nil, confirmFinalAttempt: Bool
    ) async throws -> PINChangeResponse {
        guard MyNumberCard.changeablePINs.contains(kind) else {
            throw APIError.notFound("the \(kind.displayName) cannot be changed; use auth, sign or card-text")
        }
        let current = try metrics.checkingFormat(kind) { try PIN(pin, for: kind) }
        let new = try PIN(newPIN, for: kind)
        guard !new.hasSameValue(as: current) else {
            throw CardError.pinFormat(kind, "the new PIN must differ from the current one")
        }
        try await withPIN(kind, pin, cardId: cardId) { card, current in
            try await card.changePIN(current: current, new: new, confirmFinalAttempt: confirmFinalAttempt)
        }
        return PINChangeResponse(result: "changed", pin: pinView(kind))
    }

    /// The card-data keys have no known maximum: after a right PIN, read the counter the card now
    /// reports (2 APDUs, no try spent) instead of guessing it.
    /// Like every card access, bounded and serialised with PIN operations; the card is the one
    /// the read used, and the result is dropped if another card came meanwhile.
    func rereadCounter(_ kind: PINKind) async {
        guard kind.knownMaxTries == nil, let card else { return }
        let insertion = generation
        guard let status = try? await serialisedCardAccess({ try await card.pinStatus(kind) }) else { return }
        record(status, insertion: insertion)
    }
}
