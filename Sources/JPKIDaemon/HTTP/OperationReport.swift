import Synchronization

/// What a request's operation found beside its answer, for the API to add to that answer: for
/// now, that the power-cycle check found the reader unsafe (`readerUnsafe: true`).
final class OperationReport: Sendable {
    @TaskLocal static var current: OperationReport?

    private let unsafe = Atomic<Bool>(false)

    func markReaderUnsafe() { unsafe.store(true, ordering: .relaxed) }
    var readerUnsafe: Bool { unsafe.load(ordering: .relaxed) }

    /// A JSON object body with `"readerUnsafe": true` as its first member.
    static func addingReaderUnsafe(to body: [UInt8]) -> [UInt8] {
        guard let open = body.firstIndex(of: UInt8(ascii: "{")) else { return body }
        let rest = body[(open + 1)...].drop { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        let member = Array(#""readerUnsafe":true"#.utf8) + (rest.first == UInt8(ascii: "}") ? [] : [UInt8(ascii: ",")])
        return Array(body[...open]) + member + Array(body[(open + 1)...])
    }
}
