import Foundation
import FuzzSupport
import JapaneseCalendar
import MyNumberCard

/// The description and dump of the first personal data decoded.
nonisolated(unsafe) private var firstShown: String?

/// Certificate field extraction as the daemon does it on a card's certificates (subject, issuer,
/// serial, dates, the renewal window) and the sign certificate's subjectAltName (name, address,
/// birth date, sex): an error value for anything that is not a certificate, never a trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCertificate(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let der = fuzzInput(data, size)

    if let info = try? CertificateInfo(der: der) {
        require(info.der == der, "info keeps other bytes")
        require(info.sha256Fingerprint.count == 64, "fingerprint length")
        require(info.renewableFrom <= info.expiryDate, "renewal window starts after expiry")
        for now in [info.notBefore, info.notAfter, Date(timeIntervalSince1970: 1_800_000_000)] {
            _ = info.status(at: now)
            _ = info.daysUntilExpiry(from: now)
        }
        require(info.pem.hasPrefix("-----BEGIN CERTIFICATE-----\n"), "PEM header")
        require(JapanDate(iso: info.expiryDate.description) == info.expiryDate, "expiry date does not round-trip")
    }

    if let personal = try? SignCertificatePersonalData(certificateDER: der) {
        // Personal data never shows in a description or a dump: both are the same for every
        // certificate.
        var dumped = ""
        dump(personal, to: &dumped)
        let shown = personal.description + "|" + dumped
        if firstShown == nil { firstShown = shown }
        require(shown == firstShown, "the description or dump depends on the certificate: \(shown)")
        if let date = personal.birthDate, let raw = personal.birthDateRaw {
            require(
                raw.utf8.count == 9 && raw.hasSuffix(date.description.replacingOccurrences(of: "-", with: "")),
                "birth date \(date) does not come from its raw value")
        }
    }

    // The date parser the API's JSON uses.
    if let date = JapanDate(iso: String(decoding: der, as: UTF8.self)) {
        require(JapanDate(iso: date.description) == date, "date does not round-trip")
    }
    return 0
}

@main
enum CertificateFuzzer {
    static func main() { runFuzzer(fuzzCertificate) }
}
