import Crypto
import Foundation
import JapaneseCalendar
import SwiftASN1
import X509
import _CryptoExtras

/// Builds a ``CardImage`` from a ``Scenario``: a fresh test PKI (two CAs named like the real JPKI
/// CAs, RSA-2048 keys, an auth certificate and, unless it is a child's card, a sign certificate
/// with the JPKI subjectAltName otherNames) and the applications: JPKI, card text, card face, the
/// common-card AP and the JUKI AP (each with its own PIN at 001C).
public enum CardBuilder {
    static let jpkiAID: [UInt8] = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01]
    static let cardTextAID: [UInt8] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08]
    /// The common-card AP (共通カードAP), whose 001C PIN jpkid calls `juki`.
    static let jukiAID: [UInt8] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x01, 0x00]
    /// The JUKI AP (住基AP), with a 001C PIN of its own (jpkid's `juki-ap`).
    static let jukiAPAID: [UInt8] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x01]

    /// With `hierarchy`, the card-face and card-text APs carry data signed as reference 13 says
    /// (``addGenuineData(to:_:hierarchy:)``); without, they carry none.
    public static func build(_ scenario: Scenario, now: Date = Date(), hierarchy: CVCHierarchy? = nil) throws
        -> CardImage
    {
        try scenario.validate()
        let today = SimDate(now)
        let issued = scenario.issued.flatMap(SimDate.init(iso:)) ?? today.adding(days: -30)
        let authExpiry = scenario.authExpiry.flatMap(SimDate.init(iso:)) ?? issued.adding(years: 5)
        let signExpiry = scenario.signExpiry.flatMap(SimDate.init(iso:)) ?? authExpiry

        let authCAKey = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let signCAKey = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let authKey = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let authCAName = try caName("JPKI for user authentication")
        let signCAName = try caName("JPKI for digital signature")
        let caStart = issued.adding(years: -2).startOfDay
        let caEnd = authExpiry.adding(years: 5).endOfDay

        let authCA = try caCertificate(name: authCAName, key: authCAKey, from: caStart, to: caEnd)
        let signCA = try caCertificate(name: signCAName, key: signCAKey, from: caStart, to: caEnd)
        let authCert = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(authKey.publicKey),
            notValidBefore: issued.startOfDay, notValidAfter: authExpiry.endOfDay,
            issuer: authCAName,
            subject: try DistinguishedName {
                CountryName("JP")
                CommonName(cardSerial(seed: authKey.publicKey.derRepresentation))
            },
            signatureAlgorithm: .sha256WithRSAEncryption,
            extensions: try Certificate.Extensions(
                [
                    try Certificate.Extension(KeyUsage(digitalSignature: true), critical: true),
                    try Certificate.Extension(ExtendedKeyUsage([.clientAuth]), critical: false),
                ]
                    + CertificateProfile.commonExtensions(
                        .authentication, subjectKey: .init(authKey.publicKey), issuerKey: .init(authCAKey.publicKey))),
            issuerPrivateKey: .init(authCAKey))

        var jpkiFiles: [CardImage.File] = [
            .init(fid: 0x000A, content: try der(authCert), readPIN: nil),
            .init(fid: 0x000B, content: try der(authCA), readPIN: nil),
            .init(fid: 0x0002, content: try der(signCA), readPIN: nil),
        ]
        var jpkiPINs = [try pinRecord(0x0018, scenario.authPIN, max: 3, left: scenario.tries("auth"))]
        var keys = [CardImage.Key(fid: 0x0017, pinFID: 0x0018, der: authKey.derRepresentation)]
        switch scenario.token {
        case .myNumberCard:
            jpkiFiles.append(.init(fid: 0x0006, content: tokenInfo("JPKIAPICCTOKEN2"), readPIN: nil))
        case .jukiCard: jpkiFiles.append(.init(fid: 0x0006, content: tokenInfo("JPKIAPICCTOKEN"), readPIN: nil))
        case .nonJPKI, .noJPKIApplication: break
        }

        if scenario.signCertificate {
            let signKey = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            let signCert = try Certificate(
                version: .v3, serialNumber: .init(), publicKey: .init(signKey.publicKey),
                notValidBefore: issued.startOfDay, notValidAfter: signExpiry.endOfDay,
                issuer: signCAName,
                subject: try DistinguishedName {
                    CountryName("JP")
                    LocalityName("Tokyo-to")
                    LocalityName("Chiyoda-ku")
                    CommonName(cardSerial(seed: signKey.publicKey.derRepresentation))
                },
                signatureAlgorithm: .sha256WithRSAEncryption,
                extensions: try Certificate.Extensions(
                    [
                        try Certificate.Extension(
                            KeyUsage(digitalSignature: true, nonRepudiation: true), critical: true),
                        try Certificate.Extension(
                            SubjectAlternativeNames(try holderNames(scenario.holder)), critical: false),
                    ]
                        + CertificateProfile.commonExtensions(
                            .signature, subjectKey: .init(signKey.publicKey), issuerKey: .init(signCAKey.publicKey))),
                issuerPrivateKey: .init(signCAKey))
            jpkiFiles.append(.init(fid: 0x0001, content: try der(signCert), readPIN: 0x001B))
            jpkiPINs.append(try pinRecord(0x001B, scenario.signPIN, max: 5, left: scenario.tries("sign")))
            keys.append(.init(fid: 0x001A, pinFID: 0x001B, der: signKey.derRepresentation))
        }

        if scenario.swapCertificates { swapCertificateContents(&jpkiFiles) }

        var applications: [CardImage.Application] = []
        if scenario.token != .noJPKIApplication {
            let isJPKI = scenario.token != .nonJPKI
            applications.append(
                .init(
                    name: "jpki", aid: Data(jpkiAID), files: isJPKI ? jpkiFiles : [],
                    pins: isJPKI ? jpkiPINs : [], keys: isJPKI ? keys : []))
        }
        if scenario.token == .myNumberCard {
            applications.append(
                .init(
                    name: "card-text", aid: Data(cardTextAID), files: [],
                    pins: [try pinRecord(0x0011, scenario.cardTextPIN, max: 3, left: scenario.tries("card-text"))],
                    keys: []))
        }
        if scenario.token == .myNumberCard || scenario.token == .jukiCard {
            applications.append(
                .init(
                    name: "juki", aid: Data(jukiAID), files: [],
                    pins: [try pinRecord(0x001C, scenario.jukiPIN, max: 3, left: scenario.tries("juki"))],
                    keys: []))
        }
        if scenario.token == .myNumberCard {
            applications.append(
                .init(
                    name: "juki-ap", aid: Data(jukiAPAID), files: [],
                    pins: [try pinRecord(0x001C, scenario.jukiAPPINValue, max: 3, left: scenario.tries("juki-ap"))],
                    keys: []))
        }
        try addCardData(to: &applications, scenario)
        if let hierarchy { try addGenuineData(to: &applications, scenario, hierarchy: hierarchy) }
        guard let atr = [UInt8](hex: scenario.atr) else { throw SimulatorError.invalidScenario("atr") }
        var behaviour = CardImage.Behaviour()
        behaviour.emptyVerifyAnswersSuccessWhenVerified = scenario.isoVerifyStatus
        behaviour.extendedLength = scenario.extendedLength
        behaviour.blockedEmptyVerifyAnswers6984 = scenario.blockedAnswers6984 ? true : nil
        return CardImage(atr: Data(atr), applications: applications, behaviour: behaviour)
    }

    static func caName(_ unit: String) throws -> DistinguishedName {
        try DistinguishedName {
            CountryName("JP")
            OrganizationName("JPKI")
            OrganizationalUnitName(unit)
            OrganizationalUnitName("Japan Agency for Local Authority Information Systems")
        }
    }

    static func caCertificate(
        name: DistinguishedName, key: _RSA.Signing.PrivateKey, from: Date, to: Date
    ) throws -> Certificate {
        try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: from, notValidAfter: to, issuer: name, subject: name,
            signatureAlgorithm: .sha256WithRSAEncryption,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: .init(key.publicKey))
            },
            issuerPrivateKey: .init(key))
    }

    static func der(_ certificate: Certificate) throws -> Data {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return Data(serializer.serializedBytes)
    }

    /// A 20-character serial for the subject CN, like the real cards' (derived, not random, so
    /// the same key gives the same name).
    static func cardSerial(seed: Data) -> String {
        let digest = SHA256.hash(data: seed)
        let alphabet = Array("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ")
        return String(digest.prefix(20).map { alphabet[Int($0) % alphabet.count] })
    }

    /// EF 0006 as a real card holds it: 160 bytes, the label (`JPKIAPICCTOKEN2` etc.) padded with
    /// spaces to 32 bytes, then token details (stand-ins here: maker, model and serial in ASCII,
    /// PIN lengths, `FF` filler).
    static func tokenInfo(_ label: String) -> Data {
        let label = Array(label.utf8) + Array(repeating: 0x20, count: 32 - label.utf8.count)
        let details = Array("JPKISIM SIMULATED MYNUMBER 0001".utf8) + [0x04, 0x10, 0x04, 0x06]
        let content = label + details
        return Data(content + Array(repeating: 0xFF, count: tokenInfoLength - content.count))
    }

    /// The length of EF 0006 on a real card.
    static let tokenInfoLength = 160

    static func pinRecord(_ fid: UInt16, _ value: String, max: Int, left: Int) throws -> CardImage.PINRecord {
        var salt = [UInt8](repeating: 0, count: 16)
        for i in salt.indices { salt[i] = UInt8.random(in: 0...255) }
        return CardImage.PINRecord(
            fid: fid, salt: Data(salt), digest: pinDigest(salt: salt, pin: Array(value.utf8)),
            maxTries: max, remaining: left)
    }

    static func pinDigest(salt: some Sequence<UInt8>, pin: [UInt8]) -> Data {
        var hasher = SHA256()
        hasher.update(data: Array(salt))
        hasher.update(data: pin)
        return Data(hasher.finalize())
    }

    /// The JPKI era digit: 1 明治, 2 大正, 3 昭和, 4 平成, 5 令和 (0 before Meiji).
    static func eraDigit(_ date: SimDate) -> Int {
        JapanDate(year: date.year, month: date.month, day: date.day).flatMap(JapaneseEra.init(containing:))?.rawValue
            ?? 0
    }

    static func holderNames(_ holder: Scenario.Holder) throws -> [GeneralName] {
        let birth = SimDate(iso: holder.birthDate)!
        let birthValue = "\(eraDigit(birth))" + String(format: "%04d%02d%02d", birth.year, birth.month, birth.day)
        let entries: [(ASN1ObjectIdentifier, String)] = [
            ([1, 2, 392, 200_149, 8, 5, 5, 1], holder.name),
            ([1, 2, 392, 200_149, 8, 5, 5, 4], birthValue),
            ([1, 2, 392, 200_149, 8, 5, 5, 3], holder.sex),
            ([1, 2, 392, 200_149, 8, 5, 5, 5], holder.address),
            ([1, 2, 392, 200_149, 8, 5, 5, 2], "00000"),
            ([1, 2, 392, 200_149, 8, 5, 5, 6], "0000000000000000000000"),
        ]
        return try entries.map { oid, value in
            .otherName(.init(typeID: oid, value: try ASN1Any(erasing: ASN1UTF8String(value))))
        }
    }

    /// EF 0001 of the card-text AP as the card holds it: `FF 10 0C`, the 12 digits and `FF FF`
    /// filler, 17 bytes.
    static func myNumberFile(_ number: String) -> Data {
        Data([0xFF, 0x10, 0x0C] + Array(number.utf8) + [0xFF, 0xFF])
    }

    /// EF 0002 of the card-text AP: `FF 20` holding the `DF 21` offset table, then `DF 22` … `DF 25`.
    static func basicAttributesFile(_ holder: Scenario.Holder) -> Data {
        let birth = holder.birthDate.replacingOccurrences(of: "-", with: "")
        return Data(
            withOffsetTable(
                [0xFF, 0x20],
                [
                    tlv([0xDF, 0x22], Array(holder.name.utf8)), tlv([0xDF, 0x23], Array(holder.address.utf8)),
                    tlv([0xDF, 0x24], Array(birth.utf8)), tlv([0xDF, 0x25], Array(holder.sex.utf8)),
                ]))
    }

    /// `outerTag` holding a `DF 21` table of where each of `fields` starts (16-bit big-endian,
    /// counted from the file's first byte), then the fields (reference 5a, 5c).
    static func withOffsetTable(_ outerTag: [UInt8], _ fields: [[UInt8]]) -> [UInt8] {
        let tableLength = 3 + 2 * fields.count
        let innerLength = tableLength + fields.reduce(0) { $0 + $1.count }
        let lengthBytes = innerLength < 0x80 ? 1 : innerLength < 0x100 ? 2 : 3
        let outerHeader = outerTag.count + lengthBytes
        var offsets: [UInt8] = []
        var position = outerHeader + tableLength
        for field in fields {
            offsets += [UInt8(position >> 8), UInt8(position & 0xFF)]
            position += field.count
        }
        return tlv(outerTag, tlv([0xDF, 0x21], offsets) + fields.flatMap { $0 })
    }

    static func tlv(_ tag: [UInt8], _ value: [UInt8]) -> [UInt8] {
        let length: [UInt8] =
            switch value.count {
            case ..<0x80: [UInt8(value.count)]
            case ..<0x100: [0x81, UInt8(value.count)]
            default: [0x82, UInt8(value.count >> 8), UInt8(value.count & 0xFF)]
            }
        return tag + length + value
    }
}
