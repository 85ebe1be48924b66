/// One step of a genuine-card check and how it ended. Its detail never holds personal data.
public struct GenuineStep: Sendable, Equatable {
    public enum Name: String, Sendable, Codable, CaseIterable {
        /// The card-face AP's CVC (EF `0004`) under the CA key its issuer id names.
        case cardFaceCVC = "card-face-cvc"
        /// `DF28` over the three segments of the card face, with the CVC's key.
        case cardFaceSignature = "card-face-signature"
        /// EF `0005`, the rendered my number, with the CVC's key (照合番号A, when asked).
        case renderedMyNumber = "rendered-my-number"
        /// EF `0001`, the age record, with the CVC's key.
        case ageRecord = "age-record"
        /// The chip signs a fresh challenge in the card-face AP; verified with the signed card key.
        case cardFaceChallenge = "card-face-challenge"
        /// The card-text AP's CVC.
        case cardTextCVC = "card-text-cvc"
        /// EF `0003`'s signature (`DF33`) with the card-text CVC's key.
        case cardTextRecord = "card-text-record"
        /// `DF32`: the digest of the four attributes in EF `0002`.
        case cardTextAttributes = "card-text-attributes"
        /// `DF31`: the digest of EF `0001` (the my number), only when it was read.
        case cardTextMyNumber = "card-text-my-number"
        /// EF `0007`: the card-text AP's signing key, signed by the CVC's key.
        case cardTextKey = "card-text-key"
        /// The chip signs a fresh challenge in the card-text AP; verified with EF `0007`'s key.
        case cardTextChallenge = "card-text-challenge"

        /// Whether this step checks a CVC against a CA key.
        public var isCVC: Bool { self == .cardFaceCVC || self == .cardTextCVC }
    }

    public enum Result: String, Sendable, Codable {
        /// The signature (or digest) verified.
        case passed
        /// The signature did not verify (for a CVC: not under the key its issuer id names).
        case failed
        /// A CVC whose issuer key is not known, or a test-hierarchy key not allowed.
        case unknownIssuer = "unknown_issuer"
        /// The step applies, but could not be done (a refused command, a file that does not
        /// parse): the card is not proven genuine.
        case notChecked = "not_checked"
        /// The step does not apply to the data returned (the my number was not asked for).
        case notApplicable = "not_applicable"
    }

    public let name: Name
    public let result: Result
    /// What happened, in words for staff and logs (no personal data).
    public let detail: String

    public init(_ name: Name, _ result: Result, _ detail: String) {
        self.name = name
        self.result = result
        self.detail = detail
    }
}
