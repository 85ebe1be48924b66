import ErrorCodes
import FoundationEssentials
import JPKIAPI
import MyNumberCard

extension ReaderSession {
    /// Challenge sizes accepted from a client, in bytes.
    static let challengeSizes = 16...1024
    /// The size of a challenge jpkid makes.
    static let generatedChallengeSize = 32

    /// A kiosk login: signs SHA-256 over the challenge with the auth key, checks the signature
    /// under the auth certificate and validates that certificate's chain now.
    ///
    /// PIN problems are errors as for every PIN operation (`wrong_pin`, `final_attempt`, ...).
    /// Everything after the signing is in the answer: `authenticated` is true only when the
    /// signature verifies and the certificate is `trusted`.
    public func authenticate(_ request: AuthenticateRequest) async throws -> AuthenticateResponse {
        let challenge = try Self.challenge(request.challenge)
        let digestInfo = DigestInfo(algorithm: .sha256, hashing: challenge)
        // Checked before any card I/O, as `sign` does: a bad PIN format costs nothing.
        _ = try metrics.checkingFormat(.auth) { try PIN(request.pin, for: .auth) }
        let certificate = try certificate(.auth)
        // The certificate and CA certificates below are this insertion's: `sign` refuses another.
        let insertion = generation
        let intermediates = [CertificateSlot.authCA, .signCA].compactMap { try? self.certificate($0).der }

        var signature: String?
        do {
            // `sign` checks the card's signature under the cached auth certificate.
            let signed = try await sign(
                key: .auth, pin: request.pin, digestInfo: digestInfo, cardId: request.cardId,
                confirmFinalAttempt: request.confirmFinalAttempt ?? false, insertion: insertion)
            signature = signed.signature
        } catch CardError.invalidSignature {
            signature = nil
        }

        let chain = await validator.evaluate(certificate.der, usage: .authentication, intermediates: intermediates)
        // The first check that fails: the certificate (chain, dates, key usage), then the signature.
        let trust: TrustCode = signature != nil || ![.trusted, .notChecked].contains(chain) ? chain : .badSignature
        let authenticated = signature != nil && trust == .trusted
        logAuthentication(authenticated: authenticated, trust: trust)
        return AuthenticateResponse(
            authenticated: authenticated, trust: .init(trust), revocationChecked: false,
            challenge: Data(challenge).base64EncodedString(), signature: signature, certificate: certificate.pem,
            subject: certificate.subject, serialNumber: certificate.serialNumber, notAfter: certificate.notAfter,
            expiryDate: certificate.expiryDate.description)
    }

    /// The client's challenge (base64, 16 to 1024 bytes), or 32 fresh random bytes.
    static func challenge(_ base64: String?) throws -> [UInt8] {
        guard let base64 else {
            var generator = SystemRandomNumberGenerator()
            return (0..<generatedChallengeSize).map { _ in UInt8.random(in: 0...255, using: &generator) }
        }
        guard let bytes = APIHandler.strictBase64(base64) else {
            throw APIError.badRequest("challenge is not base64 or is empty")
        }
        guard challengeSizes.contains(bytes.count) else {
            throw APIError.badRequest(
                "challenge must be \(challengeSizes.lowerBound) to \(challengeSizes.upperBound) bytes, got \(bytes.count)"
            )
        }
        return bytes
    }
}
