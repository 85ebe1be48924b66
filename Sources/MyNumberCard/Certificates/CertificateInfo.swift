import Crypto
import FoundationEssentials
import ISO7816
import JapaneseCalendar
import SwiftASN1
import X509

/// Where a certificate stands on a given day.
public enum CertificateStatus: String, Sendable, Codable {
    case valid
    /// Still valid, and inside the renewal window.
    case renewable
    case expired
    case notYetValid = "not_yet_valid"
}

/// The public fields of a card certificate, with its dates in Japan time.
public struct CertificateInfo: Sendable, Equatable {
    public let der: [UInt8]
    /// The subject as an RFC 4514 string. For the sign certificate this is not personal data:
    /// JPKI puts the holder's details in subjectAltName only.
    public let subject: String
    public let issuer: String
    /// Serial number in upper-case hex.
    public let serialNumber: String
    /// SHA-256 of the DER, upper-case hex without separators.
    public let sha256Fingerprint: String
    public let notBefore: Date
    public let notAfter: Date
    /// The last day of validity, as a date in Japan (what the citizen reads on papers).
    public let expiryDate: JapanDate
    /// The first day of the renewal window (``RenewalRule``: three months before expiry).
    public let renewableFrom: JapanDate

    /// Parses a DER certificate.
    public init(der: [UInt8]) throws(CardError) {
        let certificate: Certificate
        do {
            certificate = try Certificate(derEncoded: der)
        } catch {
            throw .invalidCertificate("not an X.509 certificate (\(der.count) bytes)")
        }
        self.der = der
        self.subject = String(describing: certificate.subject)
        self.issuer = String(describing: certificate.issuer)
        self.serialNumber = certificate.serialNumber.bytes.compactHex
        self.sha256Fingerprint = Array(SHA256.hash(data: der)).compactHex
        self.notBefore = certificate.notValidBefore
        self.notAfter = certificate.notValidAfter
        self.expiryDate = JapanDate(certificate.notValidAfter)
        self.renewableFrom = RenewalRule.renewableFrom(expiry: expiryDate)
    }

    /// The status at instant `now`.
    public func status(at now: Date) -> CertificateStatus {
        if now < notBefore { return .notYetValid }
        if now > notAfter { return .expired }
        return JapanDate(now) >= renewableFrom ? .renewable : .valid
    }

    /// Whole days from `now`'s date in Japan to the expiry date (negative once expired).
    public func daysUntilExpiry(from now: Date) -> Int {
        let seconds = expiryDate.startInstant.timeIntervalSince(JapanDate(now).startInstant)
        return Int((seconds / 86_400).rounded())
    }

    /// PEM encoding.
    public var pem: String {
        let base64 = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN CERTIFICATE-----\n\(base64)\n-----END CERTIFICATE-----\n"
    }
}
