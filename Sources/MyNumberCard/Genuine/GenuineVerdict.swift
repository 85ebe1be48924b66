/// The answer of a genuine-card check (reference 13).
public enum GenuineVerdict: String, Sendable, Codable, CaseIterable {
    /// Every signature verified with a known key, and the chip answered the challenge.
    case genuine
    /// The AP's CVC verified under a known key, and then a record's signature or the chip's
    /// answer to the challenge failed: a copy of the files, or changed data.
    case forged
    /// An AP's CVC does not verify under the key its issuer id names: a forged card, or a wrong
    /// key table (the built-in keys are not verified against a production card).
    case keyMismatch = "key_mismatch"
    /// An AP's CVC names a CA key that is not known (a new CA generation, a test card).
    case unknownIssuer = "unknown_issuer"
    /// A step could not be done; the reason says which and why.
    case notChecked = "not_checked"

    /// The verdict the steps add up to, and for anything but `genuine` the reason.
    ///
    /// A failed CVC dominates (nothing under it is proven), then an unknown issuer; a record or
    /// challenge failure is `forged` only when every CVC verified; any step not done makes the
    /// answer `not_checked`. Never `genuine` unless every applicable step passed and a challenge
    /// was answered.
    public static func of(_ steps: [GenuineStep]) -> (verdict: GenuineVerdict, reason: String?) {
        if let step = steps.first(where: { $0.name.isCVC && $0.result == .failed }) {
            return (.keyMismatch, step.detail)
        }
        if let step = steps.first(where: { $0.result == .unknownIssuer }) {
            return (.unknownIssuer, step.detail)
        }
        let cvcsPassed =
            steps.contains { $0.name.isCVC }
            && steps.filter(\.name.isCVC).allSatisfy { $0.result == .passed }
        if cvcsPassed, let step = steps.first(where: { $0.result == .failed }) {
            return (.forged, step.detail)
        }
        if let step = steps.first(where: { $0.result == .notChecked || $0.result == .failed }) {
            return (.notChecked, "\(step.name.rawValue): \(step.detail)")
        }
        let challenged = steps.contains {
            ($0.name == .cardFaceChallenge || $0.name == .cardTextChallenge) && $0.result == .passed
        }
        guard challenged else { return (.notChecked, "the chip was not challenged") }
        return (.genuine, nil)
    }
}
