import FoundationEssentials

/// A file of personal data jpkictl writes for its user (a face photo): readable by that user
/// only (0600), or a clear error and exit 1.
enum PrivateFile {
    static func write(_ contents: Data, to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: contents, attributes: [.posixPermissions: 0o600])
        else {
            printError("cannot write \(path)")
            throw Exit.failure.code
        }
    }
}
