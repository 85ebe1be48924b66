import MyNumberCard

/// The `result` label of `jpkid_pin_verifications_total`: what became of a PIN a client sent.
enum PINVerificationResult: String, CaseIterable, Sendable {
    /// The card accepted the PIN.
    case verified
    /// The card refused it; tries are left.
    case wrongPIN = "wrong_pin"
    /// The PIN is blocked: this try blocked it, or it was blocked before (nothing sent).
    case blocked
    /// The PIN broke its format: refused locally, nothing sent.
    case format
    /// One try was left and the client did not confirm it: refused locally, nothing sent.
    case finalAttemptRefused = "final_attempt_refused"

    /// The result a PIN operation's error stands for; nil for errors that say nothing about the
    /// PIN (no card, card busy, a cancelled request, an error after the VERIFY).
    init?(_ error: any Error) {
        switch error {
        case CardError.wrongPIN: self = .wrongPIN
        case CardError.pinBlocked: self = .blocked
        case CardError.pinFormat: self = .format
        case CardError.finalAttempt: self = .finalAttemptRefused
        default: return nil
        }
    }
}
