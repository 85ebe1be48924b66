import FoundationEssentials
import JapaneseCalendar
import SwiftASN1
import X509

/// The holder's basic four attributes from the signature certificate's subjectAltName.
///
/// **Personal data.** Serve it only to an authorised caller that asked for it; it never goes to a
/// log or an event. `description` and reflection show no values.
public struct SignCertificatePersonalData: Sendable, Equatable, CustomStringConvertible, CustomReflectable {
    /// OIDs of the JPKI otherName entries (1.2.392.200149.8.5.5.x).
    public enum OID {
        public static let name: ASN1ObjectIdentifier = [1, 2, 392, 200_149, 8, 5, 5, 1]
        public static let nameSubstitutes: ASN1ObjectIdentifier = [1, 2, 392, 200_149, 8, 5, 5, 2]
        public static let sex: ASN1ObjectIdentifier = [1, 2, 392, 200_149, 8, 5, 5, 3]
        public static let birthDate: ASN1ObjectIdentifier = [1, 2, 392, 200_149, 8, 5, 5, 4]
        public static let address: ASN1ObjectIdentifier = [1, 2, 392, 200_149, 8, 5, 5, 5]
        public static let addressSubstitutes: ASN1ObjectIdentifier = [1, 2, 392, 200_149, 8, 5, 5, 6]
    }

    /// Family and given name, separated by a full-width space.
    public let name: String?
    public let address: String?
    /// The raw `EYYYYMMDD` value: era digit (1 明治 … 5 令和, 0 unknown) and the Gregorian date.
    public let birthDateRaw: String?
    /// The Gregorian birth date, where `birthDateRaw` has that shape.
    public let birthDate: JapanDate?
    /// ISO 5218: "1" male, "2" female, "3" unknown (as on the certificate).
    public let sex: String?

    /// Decodes the otherName entries of `der`'s subjectAltName. Fields that are absent stay nil.
    public init(certificateDER der: [UInt8]) throws(CardError) {
        let certificate: Certificate
        do {
            certificate = try Certificate(derEncoded: der)
        } catch {
            throw .invalidCertificate("not an X.509 certificate (\(der.count) bytes)")
        }
        var values: [ASN1ObjectIdentifier: String] = [:]
        if let names = try? certificate.extensions.subjectAlternativeNames {
            for case .otherName(let other) in names {
                if let value = other.value, let string = Self.decodeString(value) {
                    values[other.typeID] = string
                }
            }
        }
        self.name = values[OID.name]
        self.address = values[OID.address]
        self.sex = values[OID.sex]
        self.birthDateRaw = values[OID.birthDate]
        self.birthDate = values[OID.birthDate].flatMap(Self.parseBirthDate)
    }

    /// `EYYYYMMDD` → the Gregorian date.
    static func parseBirthDate(_ raw: String) -> JapanDate? {
        let digits = Array(raw.utf8)
        guard digits.count == 9, digits.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        let n = digits.map { Int($0 - 0x30) }
        return JapanDate(
            year: n[1] * 1000 + n[2] * 100 + n[3] * 10 + n[4], month: n[5] * 10 + n[6], day: n[7] * 10 + n[8])
    }

    static func decodeString(_ value: ASN1Any) -> String? {
        if let s = try? ASN1UTF8String(asn1Any: value) { return String(s) }
        if let s = try? ASN1PrintableString(asn1Any: value) { return String(s) }
        if let s = try? ASN1IA5String(asn1Any: value) { return String(s) }
        return nil
    }

    public var description: String { "SignCertificatePersonalData(redacted)" }
    public var customMirror: Mirror { Mirror(self, children: []) }
}
