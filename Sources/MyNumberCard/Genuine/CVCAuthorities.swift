import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// The CA keys a verifier holds to check the APs' card-verifiable certificates (reference 13.1):
/// the production keys built in, plus keys from a directory of key files.
///
/// Keys of the JPKI test hierarchy (ids starting with `6`) are refused unless the configuration
/// names their ids: a card of the test hierarchy must never pass as genuine in production.
public struct CVCAuthorities: Sendable {
    /// One CA key and where it came from.
    public struct Entry: Sendable, Equatable {
        public let id: CVCKeyID
        public let key: CardRSAPublicKey
        /// `built-in`, or the key file's path.
        public let source: String
    }

    /// What the table says about an issuer id.
    public enum Lookup: Sendable, Equatable {
        case known(Entry)
        /// No key with this id (all 16 bytes compared).
        case unknown
        /// A test-hierarchy id the configuration does not allow.
        case testHierarchyRefused
    }

    public let entries: [CVCKeyID: Entry]
    /// Test-hierarchy ids the configuration allows.
    public let allowedTestIDs: Set<CVCKeyID>

    public init(entries: [Entry], allowedTestIDs: Set<CVCKeyID> = []) {
        var table: [CVCKeyID: Entry] = [:]
        for entry in entries { table[entry.id] = entry }
        self.entries = table
        self.allowedTestIDs = allowedTestIDs
    }

    /// The built-in production keys only.
    public static let builtIn = CVCAuthorities(entries: builtInEntries)

    static var builtInEntries: [Entry] {
        [production5000020, production5000023, production5000033].map { key in
            // The table above is fixed and checked by tests: these cannot fail.
            Entry(
                id: CVCKeyID(text: key.id)!,
                key: try! CardRSAPublicKey(modulus: key.modulus, exponent: [0x01, 0x00, 0x01]), source: "built-in")
        }
    }

    /// The key for `issuer`, compared on all 16 bytes.
    public func lookup(_ issuer: CVCKeyID) -> Lookup {
        if issuer.isTestHierarchy, !allowedTestIDs.contains(issuer) { return .testHierarchyRefused }
        guard let entry = entries[issuer] else { return .unknown }
        return .known(entry)
    }

    /// A built-in key as written in the source.
    struct BuiltInKey {
        let id: String
        let purpose: String
        let modulus: [UInt8]
    }

    // MARK: - Key files

    /// The largest key file read.
    public static let maxFileBytes = 64 * 1024
    /// The most key files read from the directory.
    public static let maxFiles = 256

    /// A key file: JSON `{"keyId": "6000023/001", "modulus": "<hex>", "exponent": "010001"}`
    /// (`exponent` optional, default 65537; `keyId` also as 32 hex digits or with `+<padding>`).
    public struct KeyFile: Codable, Sendable {
        public var keyId: String
        public var modulus: String
        public var exponent: String?
        public init(keyId: String, modulus: String, exponent: String? = nil) {
            self.keyId = keyId
            self.modulus = modulus
            self.exponent = exponent
        }
    }

    /// The built-in keys plus every `*.json` key file in `directory` (a missing directory adds
    /// none). A configured key replaces a built-in one with the same id. A file that cannot be
    /// read or parsed, or a test-hierarchy key whose id `allowedTestIDs` does not name, is an
    /// error that names the file: a broken key must never silently change a verdict.
    public static func load(directory: String?, allowedTestIDs: Set<CVCKeyID>) throws(CVCKeyError) -> CVCAuthorities {
        var entries = builtInEntries
        guard let directory else { return CVCAuthorities(entries: entries, allowedTestIDs: allowedTestIDs) }
        var info = stat()
        guard stat(directory, &info) == 0 else {
            if errno == ENOENT { return CVCAuthorities(entries: entries, allowedTestIDs: allowedTestIDs) }
            throw CVCKeyError("\(directory) cannot be read")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw CVCKeyError("\(directory) is not a directory") }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".json") }
                .sorted()
        } catch {
            throw CVCKeyError("\(directory) cannot be read")
        }
        guard names.count <= maxFiles else { throw CVCKeyError("\(directory) holds more than \(maxFiles) key files") }
        for name in names {
            let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            // Size and kind first: a FIFO would block the read, a huge file would be read whole.
            var fileInfo = stat()
            guard stat(path, &fileInfo) == 0 else { throw CVCKeyError("\(path) cannot be read") }
            guard fileInfo.st_mode & S_IFMT == S_IFREG else { throw CVCKeyError("\(path) is not a regular file") }
            guard fileInfo.st_size <= maxFileBytes else { throw CVCKeyError("\(path) is larger than 64 KiB") }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw CVCKeyError("\(path) cannot be read")
            }
            guard data.count <= maxFileBytes else { throw CVCKeyError("\(path) is larger than 64 KiB") }
            let entry = try parse(keyFile: data, path: path)
            if entry.id.isTestHierarchy, !allowedTestIDs.contains(entry.id) {
                throw CVCKeyError(
                    "\(path) holds test-hierarchy key \(entry.id), which cvcTestKeyIds does not name")
            }
            entries.removeAll { $0.id == entry.id }
            entries.append(entry)
        }
        return CVCAuthorities(entries: entries, allowedTestIDs: allowedTestIDs)
    }

    /// One key file's key.
    public static func parse(keyFile data: Data, path: String) throws(CVCKeyError) -> Entry {
        let file: KeyFile
        do {
            file = try JSONDecoder().decode(KeyFile.self, from: data)
        } catch {
            throw CVCKeyError("\(path) is not a key file (JSON with keyId and modulus)")
        }
        guard let id = CVCKeyID(text: file.keyId) else {
            throw CVCKeyError("\(path): keyId must look like 5000023/001 or be 32 hex digits")
        }
        guard let modulus = [UInt8](hex: file.modulus), let exponent = [UInt8](hex: file.exponent ?? "010001") else {
            throw CVCKeyError("\(path): modulus and exponent must be hex")
        }
        do {
            return Entry(id: id, key: try CardRSAPublicKey(modulus: modulus, exponent: exponent), source: path)
        } catch {
            throw CVCKeyError("\(path): \(error.message)")
        }
    }
}

/// Why the CVC keys could not be loaded.
public struct CVCKeyError: Error, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = "CVC keys: \(description)" }
}
