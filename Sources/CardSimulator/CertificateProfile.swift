import SwiftASN1
import X509

/// The extensions a JPKI end-entity certificate carries, filled with test values, so that the
/// simulator's certificates have a real card's contents and size (reference section 5: a real
/// auth certificate is about 1.5 KB, a sign certificate more): key usage, extended key usage
/// (auth), certificate policies, CRL distribution points, authority information access, and
/// subject and authority key identifiers. Hosts and policy ids are made up.
enum CertificateProfile {
    /// What the certificate is for.
    enum Purpose {
        case authentication
        case signature

        var unit: String {
            switch self {
            case .authentication: "JPKI for user authentication"
            case .signature: "JPKI for digital signature"
            }
        }

        var policy: ASN1ObjectIdentifier {
            switch self {
            case .authentication: [1, 2, 392, 200_149, 8, 5, 1, 3, 30]
            case .signature: [1, 2, 392, 200_149, 8, 5, 1, 1, 10]
            }
        }

        /// A user notice: the sign certificate carries one, the auth certificate (kept within
        /// six 256-byte reads, as a real one of about 1.5 KB is) does not.
        var notice: String? {
            switch self {
            case .authentication: nil
            case .signature:
                "本証明書は公的個人認証サービスの署名用電子証明書の試験用模擬証明書です。実在の認証局が発行したものではありません。"
            }
        }

        /// CRL addresses besides the directory name: LDAP for both, HTTP for the sign one.
        var crlAddresses: [String] {
            let ldap =
                "ldap://ldap.\(host)/cn=CRL,ou=CRL%20Distribution%20Points,o=JPKI,c=JP?certificateRevocationList;binary"
            switch self {
            case .authentication: return [ldap]
            case .signature: return [ldap, "http://crl.\(host)/crl/full.crl"]
            }
        }

        var host: String {
            switch self {
            case .authentication: "auth.jpki-sim.invalid"
            case .signature: "sign.jpki-sim.invalid"
            }
        }
    }

    static let policyQualifierCPS: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 2, 1]
    static let policyQualifierUserNotice: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 2, 2]
    static let certificatePoliciesID: ASN1ObjectIdentifier = [2, 5, 29, 32]
    static let crlDistributionPointsID: ASN1ObjectIdentifier = [2, 5, 29, 31]

    /// The non-critical extensions every end-entity certificate gets, besides key usage.
    static func commonExtensions(
        _ purpose: Purpose, subjectKey: Certificate.PublicKey, issuerKey: Certificate.PublicKey
    ) throws -> [Certificate.Extension] {
        [
            try Certificate.Extension(
                SubjectKeyIdentifier(hash: subjectKey), critical: false),
            try Certificate.Extension(
                AuthorityKeyIdentifier(keyIdentifier: SubjectKeyIdentifier(hash: issuerKey).keyIdentifier),
                critical: false),
            try certificatePolicies(purpose),
            try crlDistributionPoints(purpose),
            try Certificate.Extension(
                AuthorityInformationAccess([
                    .init(method: .ocspServer, location: .uniformResourceIdentifier("http://ocsp.\(purpose.host)")),
                    .init(
                        method: .issuingCA,
                        location: .uniformResourceIdentifier("http://repository.\(purpose.host)/ca.cer")),
                ]), critical: false),
        ]
    }

    /// `certificatePolicies`: the policy with a CPS pointer and a user notice.
    static func certificatePolicies(_ purpose: Purpose) throws -> Certificate.Extension {
        var serializer = DER.Serializer()
        try serializer.appendConstructedNode(identifier: .sequence) { policies in
            try policies.appendConstructedNode(identifier: .sequence) { info in
                try info.serialize(purpose.policy)
                try info.appendConstructedNode(identifier: .sequence) { qualifiers in
                    try qualifiers.appendConstructedNode(identifier: .sequence) { qualifier in
                        try qualifier.serialize(policyQualifierCPS)
                        try qualifier.serialize(ASN1IA5String("http://repository.\(purpose.host)/cps/index.html"))
                    }
                    if let text = purpose.notice {
                        try qualifiers.appendConstructedNode(identifier: .sequence) { qualifier in
                            try qualifier.serialize(policyQualifierUserNotice)
                            try qualifier.appendConstructedNode(identifier: .sequence) { notice in
                                try notice.serialize(ASN1UTF8String(text))
                            }
                        }
                    }
                }
            }
        }
        return Certificate.Extension(
            oid: certificatePoliciesID, critical: false, value: serializer.serializedBytes[...])
    }

    /// `cRLDistributionPoints`: a directory name and an LDAP and an HTTP address, as JPKI lists.
    static func crlDistributionPoints(_ purpose: Purpose) throws -> Certificate.Extension {
        let directory = try DistinguishedName {
            CountryName("JP")
            OrganizationName("JPKI")
            OrganizationalUnitName(purpose.unit)
            OrganizationalUnitName("CRL Distribution Points")
            OrganizationalUnitName("Japan Agency for Local Authority Information Systems")
            CommonName("CRL\(Int.random(in: 1000...9999))")
        }
        let names: [GeneralName] =
            [.directoryName(directory)] + purpose.crlAddresses.map { .uniformResourceIdentifier($0) }
        var serializer = DER.Serializer()
        try serializer.appendConstructedNode(identifier: .sequence) { points in
            try points.appendConstructedNode(identifier: .sequence) { point in
                // distributionPoint [0] { fullName [0] GeneralNames }
                try point.appendConstructedNode(
                    identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)
                ) { name in
                    try name.appendConstructedNode(
                        identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)
                    ) { full in
                        for general in names { try full.serialize(general) }
                    }
                }
            }
        }
        return Certificate.Extension(
            oid: crlDistributionPointsID, critical: false, value: serializer.serializedBytes[...])
    }
}
