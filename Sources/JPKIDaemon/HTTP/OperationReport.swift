import Synchronization

/// What a request's operation found beside its answer, for the API to add to that answer: for
/// now, that the power-cycle check found the reader unsafe (`readerUnsafe: true`).
final class OperationReport: Sendable {
    @TaskLocal static var current: OperationReport?

    private let unsafe = Atomic<Bool>(false)

    func markReaderUnsafe() { unsafe.store(true, ordering: .relaxed) }
    var readerUnsafe: Bool { unsafe.load(ordering: .relaxed) }

    /// The header that marks a non-JSON answer (for example a card-face photo) the same way.
    static let readerUnsafeHeader = "JPKI-Reader-Unsafe"

    /// A JSON object body with `"readerUnsafe": true` as its first member; nil when the body is
    /// not a JSON object (another content type, or JSON that does not start with `{`).
    static func addingReaderUnsafe(to body: [UInt8], contentType: String) -> [UInt8]? {
        let mediaType = contentType.prefix { $0 != ";" }.filter { $0 != " " && $0 != "\t" }.lowercased()
        guard mediaType == "application/json" else { return nil }
        let blank: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        guard let open = body.firstIndex(where: { !blank($0) }), body[open] == UInt8(ascii: "{") else { return nil }
        let rest = body[(open + 1)...].drop(while: blank)
        let member = Array(#""readerUnsafe":true"#.utf8) + (rest.first == UInt8(ascii: "}") ? [] : [UInt8(ascii: ",")])
        return Array(body[...open]) + member + Array(body[(open + 1)...])
    }
}
