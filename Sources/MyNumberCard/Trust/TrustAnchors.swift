import FoundationEssentials
import X509

#if canImport(Glibc)
    import Glibc
#endif

/// The CA certificates an integrator trusts: the J-LIS JPKI CA certificates, as PEM files in
/// one directory (`/etc/jpkid/trust-anchors/` by default).
///
/// The card's own CA files (EF 000B, EF 0002) are never anchors: they only help build chains.
public struct TrustAnchors: Sendable {
    public let certificates: [Certificate]
    /// Where they were read from, for messages.
    public let source: String?

    /// No anchors: trust is not checked.
    public static let none = TrustAnchors(certificates: [], source: nil)

    public init(certificates: [Certificate], source: String?) {
        self.certificates = certificates
        self.source = source
    }

    public var isConfigured: Bool { !certificates.isEmpty }

    /// The largest PEM file read: a CA bundle is a few kilobytes.
    public static let maxFileBytes = 1 << 20
    /// The most files read from the directory.
    public static let maxFiles = 256

    /// Reads every `*.pem` / `*.crt` file in `directory`, each holding one or more certificates.
    ///
    /// A directory that does not exist, or holds no such file, means "not configured" (returns
    /// ``none``). A file that cannot be read or holds no valid certificate is an error that names
    /// the file: a broken anchor must never silently weaken the check.
    public static func load(directory: String) throws(TrustAnchorError) -> TrustAnchors {
        var info = stat()
        guard stat(directory, &info) == 0 else {
            // Only a directory that is not there means "not configured"; one that cannot be
            // looked at (permissions) must not silently switch the trust check off.
            if errno == ENOENT { return .none }
            throw TrustAnchorError("\(directory) cannot be read")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw TrustAnchorError("\(directory) is not a directory") }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
                .filter { $0.hasSuffix(".pem") || $0.hasSuffix(".crt") }.sorted()
        } catch {
            throw TrustAnchorError("\(directory) cannot be read")
        }
        guard names.count <= maxFiles else {
            throw TrustAnchorError("\(directory) holds more than \(maxFiles) certificate files")
        }
        var certificates: [Certificate] = []
        for name in names {
            let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            guard let data = FileManager.default.contents(atPath: path) else {
                throw TrustAnchorError("\(path) cannot be read")
            }
            guard data.count <= maxFileBytes else { throw TrustAnchorError("\(path) is larger than 1 MiB") }
            certificates += try parse(pem: String(decoding: data, as: UTF8.self), name: path)
        }
        return certificates.isEmpty ? .none : TrustAnchors(certificates: certificates, source: directory)
    }

    /// The certificates in a PEM text (one or more `CERTIFICATE` blocks).
    public static func parse(pem: String, name: String) throws(TrustAnchorError) -> [Certificate] {
        try derCertificates(pem: pem, name: name).map { $0.certificate }
    }

    /// The DER of each certificate in a PEM text, checked to parse as X.509.
    public static func derCertificates(pem: String, name: String) throws(TrustAnchorError) -> [[UInt8]] {
        try derCertificates(pem: pem, name: name).map { $0.der }
    }

    private static func derCertificates(pem: String, name: String) throws(TrustAnchorError)
        -> [(der: [UInt8], certificate: Certificate)]
    {
        let blocks = pem.components(separatedBy: "-----BEGIN CERTIFICATE-----").dropFirst()
        guard !blocks.isEmpty else { throw TrustAnchorError("\(name) holds no PEM certificate") }
        var result: [(der: [UInt8], certificate: Certificate)] = []
        for (index, block) in blocks.enumerated() {
            guard let end = block.firstRange(of: "-----END CERTIFICATE-----") else {
                throw TrustAnchorError("\(name): certificate \(index + 1) has no END line")
            }
            let base64 = block[..<end.lowerBound].filter { !$0.isWhitespace }
            guard let der = Data(base64Encoded: String(base64)),
                let certificate = try? Certificate(derEncoded: Array(der))
            else {
                throw TrustAnchorError("\(name): certificate \(index + 1) is not a valid X.509 certificate")
            }
            result.append((Array(der), certificate))
        }
        return result
    }
}

/// Why the trust anchors could not be loaded.
public struct TrustAnchorError: Error, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = "trust anchors: \(description)" }
}
