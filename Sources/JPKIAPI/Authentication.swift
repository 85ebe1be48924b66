import FoundationEssentials

/// `POST /v1/readers/{id}/authenticate`: a kiosk login in one call.
public struct AuthenticateRequest: CardBoundRequest {
    /// The auth PIN (4 digits).
    public var pin: String
    /// The card the client saw; see the API reference.
    public var cardId: String?
    /// Base64, 16 to 1024 bytes. Without it jpkid makes 32 random bytes.
    public var challenge: String?
    public var confirmFinalAttempt: Bool?

    /// The body's fields: the API accepts these and no other.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case pin, cardId, challenge, confirmFinalAttempt
    }

    public init(pin: String, cardId: String? = nil, challenge: String? = nil, confirmFinalAttempt: Bool? = nil) {
        self.pin = pin
        self.cardId = cardId
        self.challenge = challenge
        self.confirmFinalAttempt = confirmFinalAttempt
    }
}

/// The login result. `authenticated` is true only when the signature verifies under the auth
/// certificate and that certificate is `trusted` now.
public struct AuthenticateResponse: Codable, Sendable, Equatable {
    public var authenticated: Bool
    /// `trusted`, `untrusted_issuer`, `expired`, `not_yet_valid`, `bad_signature`,
    /// `wrong_key_usage`, or `not_checked` (no trust anchors configured).
    public var trust: CertificateView.Trust
    /// Always false: JPKI revocation status is open only to registered verifiers.
    public var revocationChecked: Bool
    /// Base64: the challenge that was signed (SHA-256 over it, PKCS#1 v1.5).
    public var challenge: String
    /// Base64 signature; absent when the card's signature did not verify (it is never passed on).
    public var signature: String?
    /// The auth certificate, PEM.
    public var certificate: String
    public var subject: String
    public var serialNumber: String
    public var notAfter: Date
    /// `YYYY-MM-DD`, Japan time: the certificate's last valid day.
    public var expiryDate: String

    public init(
        authenticated: Bool, trust: CertificateView.Trust, revocationChecked: Bool, challenge: String,
        signature: String?,
        certificate: String, subject: String, serialNumber: String, notAfter: Date, expiryDate: String
    ) {
        self.authenticated = authenticated
        self.trust = trust
        self.revocationChecked = revocationChecked
        self.challenge = challenge
        self.signature = signature
        self.certificate = certificate
        self.subject = subject
        self.serialNumber = serialNumber
        self.notAfter = notAfter
        self.expiryDate = expiryDate
    }
}
