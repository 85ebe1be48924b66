import JPKIAPI
import MyNumberCard

/// Card data (issue 10): the card-text AP, the card-face AP and PIN change, each through
/// ``withPIN`` (format check, counter guard, one VERIFY, reset, counters read again).
///
/// What they return is personal data: it is handed to the caller and nowhere else: no cache,
/// no log line, no event carries it (events name only the PIN kind).
extension ReaderSession {
    public func cardText(pin: String, fields: Set<CardText.Field>, confirmFinalAttempt: Bool) async throws
        -> CardTextResponse
    {
        let text = try await withPIN(.cardText, pin, confirmFinalAttempt: confirmFinalAttempt) { card, pin in
            try await card.readCardText(pin: pin, fields: fields, confirmFinalAttempt: confirmFinalAttempt)
        }
        return CardTextResponse(text)
    }

    public func cardFace(pinA: String?, pinB: String?, confirmFinalAttempt: Bool) async throws -> CardFace {
        let (kind, value): (PINKind, String)
        switch (pinA, pinB) {
        case (let a?, nil): (kind, value) = (.cardFacePINA, a)
        case (nil, let b?): (kind, value) = (.cardFacePINB, b)
        default: throw APIError.badRequest("give exactly one of pinA and pinB")
        }
        return try await withPIN(kind, value, confirmFinalAttempt: confirmFinalAttempt) { card, pin in
            try await card.readCardFace(pin: pin, confirmFinalAttempt: confirmFinalAttempt)
        }
    }

    /// Changes a PIN. Both values are checked locally first and must differ; nothing is retried.
    public func changePIN(_ kind: PINKind, pin: String, newPIN: String, confirmFinalAttempt: Bool) async throws
        -> PINChangeResponse
    {
        guard MyNumberCard.changeablePINs.contains(kind) else {
            throw APIError.notFound("the \(kind.displayName) cannot be changed; use auth, sign or card-text")
        }
        let current = try PIN(pin, for: kind)
        let new = try PIN(newPIN, for: kind)
        guard !new.hasSameValue(as: current) else {
            throw CardError.pinFormat(kind, "the new PIN must differ from the current one")
        }
        try await withPIN(kind, pin, confirmFinalAttempt: confirmFinalAttempt) { card, current in
            try await card.changePIN(current: current, new: new, confirmFinalAttempt: confirmFinalAttempt)
        }
        return PINChangeResponse(result: "changed", pin: pinView(kind))
    }
}
