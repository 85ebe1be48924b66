import ErrorCodes
import JPKIAPI
import MyNumberCard

/// Card data (issue 10): the card-text AP, the card-face AP and PIN change, each through
/// ``withPIN`` (format and `cardId` checks, then one card transaction: guard, one VERIFY, the
/// work, a reset).
///
/// What they return is personal data: it is handed to the caller and nowhere else: no cache,
/// no log line, no event carries it (events name only the PIN kind).
extension ReaderSession {
    public func cardText(
        pin: String, fields: Set<CardText.Field>, cardId: String? = nil, confirmFinalAttempt: Bool
    ) async throws -> CardTextResponse {
        let text = try await withPIN(.cardText, pin, cardId: cardId) { card, pin in
            try await card.readCardText(pin: pin, fields: fields, confirmFinalAttempt: confirmFinalAttempt)
        }
        return CardTextResponse(text)
    }

    public func cardFace(pinA: String?, pinB: String?, cardId: String? = nil, confirmFinalAttempt: Bool)
        async throws -> CardFace
    {
        let (kind, value): (PINKind, String)
        switch (pinA, pinB) {
        case (let a?, nil): (kind, value) = (.cardFacePINA, a)
        case (nil, let b?): (kind, value) = (.cardFacePINB, b)
        default: throw APIError.badRequest("give exactly one of pinA and pinB")
        }
        let face = try await withPIN(kind, value, cardId: cardId) { card, pin in
            try await card.readCardFace(pin: pin, confirmFinalAttempt: confirmFinalAttempt)
        }
        await rereadCounter(kind)
        return face
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

    /// PIN A and PIN B have no known maximum: after a right PIN, read the counter the card now
    /// reports (2 APDUs, no try spent) instead of guessing it.
    /// Like every card access, bounded and serialised with PIN operations; the card is the one
    /// the read used, and the result is dropped if another card came meanwhile.
    private func rereadCounter(_ kind: PINKind) async {
        guard kind.knownMaxTries == nil, let card else { return }
        let insertion = generation
        guard let status = try? await serialisedCardAccess({ try await card.pinStatus(kind) }) else { return }
        record(status, insertion: insertion)
    }
}
