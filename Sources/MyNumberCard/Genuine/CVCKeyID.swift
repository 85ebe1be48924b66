import FoundationEssentials
import ISO7816

/// A key identifier of a card-verifiable certificate (証明者鍵ID / 被証明者鍵ID, reference 13.1):
/// 16 bytes, normally 7 ASCII digits, `08 05`, 3 ASCII digits and 4 padding bytes
/// (`5000023/001`). Two ids are equal only when all 16 bytes are.
public struct CVCKeyID: Sendable, Hashable, CustomStringConvertible, Comparable {
    public let bytes: [UInt8]

    public static let length = 16

    public init(bytes: [UInt8]) throws(CardError) {
        guard bytes.count == Self.length else {
            throw .malformedResponse("a CVC key id has 16 bytes, got \(bytes.count)")
        }
        self.bytes = bytes
    }

    /// From `5000023/001` (padding `00 00 00 00`), `5000020/001+000000A8` (explicit padding) or
    /// 32 hex digits. Nil for anything else.
    public init?(text: String) {
        // Spaces and tabs at either end go (CharacterSet.whitespaces, which is not in
        // FoundationEssentials); a newline stays and fails the parse.
        let blank: (Character) -> Bool = { $0.isWhitespace && !$0.isNewline }
        let trimmed = String(text.drop(while: blank).reversed().drop(while: blank).reversed())
        if trimmed.count == 32, let hex = [UInt8](hex: trimmed), hex.count == 16 {
            bytes = hex
            return
        }
        let parts = trimmed.split(separator: "+", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        // An empty string splits into no part at all: nil, never a trap.
        guard let first = parts.first else { return nil }
        let names = first.split(separator: "/").map(String.init)
        guard names.count == 2, names[0].count == 7, names[1].count == 3,
            (names[0] + names[1]).allSatisfy({ $0.isASCII && $0.isNumber })
        else { return nil }
        var padding: [UInt8] = [0, 0, 0, 0]
        if parts.count == 2 {
            guard parts[1].count == 8, let explicit = [UInt8](hex: parts[1]) else { return nil }
            padding = explicit
        }
        bytes = Array(names[0].utf8) + [0x08, 0x05] + Array(names[1].utf8) + padding
    }

    /// The 7-digit part (`5000023`), when the id has the usual form.
    public var authority: String? {
        guard isUsualForm else { return nil }
        return String(decoding: bytes[0..<7], as: UTF8.self)
    }

    private var isUsualForm: Bool {
        bytes[0..<7].allSatisfy { (0x30...0x39).contains($0) } && bytes[7] == 0x08 && bytes[8] == 0x05
            && bytes[9..<12].allSatisfy { (0x30...0x39).contains($0) }
    }

    /// Ids of the JPKI test hierarchy start with `6` (production: `5`).
    public var isTestHierarchy: Bool { bytes[0] == 0x36 }

    /// `5000023/001`, with `+<padding hex>` when the padding is not zero; 32 hex digits for an id
    /// of another form.
    public var description: String {
        guard isUsualForm else { return bytes.compactHex }
        let name = String(decoding: bytes[0..<7], as: UTF8.self) + "/" + String(decoding: bytes[9..<12], as: UTF8.self)
        let padding = Array(bytes[12..<16])
        return padding == [0, 0, 0, 0] ? name : name + "+" + padding.compactHex
    }

    public static func < (a: CVCKeyID, b: CVCKeyID) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }
}
