import ErrorCodes

/// One BER-TLV data object (ISO 7816-4 §5.2, the subset smart-card files use).
///
/// Tags are one to three bytes (`DF 22`, `FF 20`); lengths are short (`00`…`7F`) or long with
/// one or two length bytes (`81 xx`, `82 xx xx`), so a value is at most 65 535 bytes. The
/// indefinite form (`80`) and longer length fields are refused. Parsing never traps: anything
/// truncated, too long for its container or nested wrongly is a ``TLVError``.
public struct BERTLV: Sendable, Equatable {
    /// The tag bytes as one number: `0xDF22`, `0xFF20`, `0x30`.
    public let tag: UInt32
    /// The value bytes, as they are.
    public let value: [UInt8]

    public init(tag: UInt32, value: [UInt8]) {
        self.tag = tag
        self.value = value
    }

    /// The largest value a two-byte long-form length can carry.
    public static let maxValueLength = 0xFFFF
    /// The longest tag accepted, in bytes.
    public static let maxTagBytes = 3

    /// Bit 6 of the first tag byte: the value is itself a sequence of data objects.
    public var isConstructed: Bool { Self.firstTagByte(tag) & 0x20 != 0 }

    /// The data objects inside a constructed value.
    public func children() throws(TLVError) -> [BERTLV] {
        guard isConstructed else { throw .notConstructed(tag: tag) }
        return try Self.parseAll(value, nested: true)
    }

    /// The first child with `tag`, or nil.
    public func child(_ tag: UInt32) throws(TLVError) -> BERTLV? {
        try children().first { $0.tag == tag }
    }

    /// The encoding: tag, minimal length, value.
    public var encoded: [UInt8] { Self.tagBytes(tag) + Self.lengthBytes(value.count) + value }

    // MARK: - Parsing

    /// Parses a sequence of data objects that fills `bytes` exactly.
    public static func parseAll(_ bytes: [UInt8]) throws(TLVError) -> [BERTLV] {
        try parseAll(bytes, nested: false)
    }

    /// Parses the first data object of `bytes` and tells how many bytes it took; what follows
    /// (padding, for example) is left alone.
    public static func parseFirst(_ bytes: [UInt8]) throws(TLVError) -> (tlv: BERTLV, consumed: Int) {
        let header = try parseHeader(bytes, at: 0, end: bytes.count, nested: false)
        let end = header.valueStart + header.length
        return (BERTLV(tag: header.tag, value: Array(bytes[header.valueStart..<end])), end)
    }

    /// Parses the data object starting at `start` of `bytes`, ending no later than `end`, and
    /// tells where the next one starts: a walk over a file's objects without copying the rest of
    /// the file for each one. Error offsets count from the start of `bytes`.
    public static func parse(_ bytes: [UInt8], at start: Int, end: Int) throws(TLVError) -> (tlv: BERTLV, next: Int) {
        precondition(0 <= start && start <= end && end <= bytes.count, "range outside the bytes")
        let header = try parseHeader(bytes, at: start, end: end, nested: false)
        let valueEnd = header.valueStart + header.length
        return (BERTLV(tag: header.tag, value: Array(bytes[header.valueStart..<valueEnd])), valueEnd)
    }

    /// The total size (header and value) of the data object that `prefix` starts, from its header
    /// alone: how much of a file to read. Throws ``TLVError/truncated(offset:)`` when the prefix
    /// does not yet hold the whole header.
    public static func totalLength(ofObjectStarting prefix: [UInt8]) throws(TLVError) -> Int {
        let (tag, afterTag) = try parseTag(prefix, at: 0, end: prefix.count)
        let (length, afterLength) = try parseLength(prefix, at: afterTag, end: prefix.count, tag: tag)
        return afterLength + length
    }

    private static func parseAll(_ bytes: [UInt8], nested: Bool) throws(TLVError) -> [BERTLV] {
        var objects: [BERTLV] = []
        var offset = 0
        while offset < bytes.count {
            let header = try parseHeader(bytes, at: offset, end: bytes.count, nested: nested)
            let end = header.valueStart + header.length
            objects.append(BERTLV(tag: header.tag, value: Array(bytes[header.valueStart..<end])))
            offset = end
        }
        return objects
    }

    private static func parseHeader(_ bytes: [UInt8], at start: Int, end: Int, nested: Bool) throws(TLVError)
        -> (tag: UInt32, length: Int, valueStart: Int)
    {
        let (tag, afterTag) = try parseTag(bytes, at: start, end: end)
        let (length, valueStart) = try parseLength(bytes, at: afterTag, end: end, tag: tag)
        guard length <= end - valueStart else {
            throw nested
                ? .exceedsContainer(tag: tag, offset: start, length: length, available: end - valueStart)
                : .valueTruncated(tag: tag, offset: start, length: length, available: end - valueStart)
        }
        return (tag, length, valueStart)
    }

    private static func parseTag(_ bytes: [UInt8], at start: Int, end: Int) throws(TLVError) -> (UInt32, Int) {
        guard start < end else { throw .truncated(offset: start) }
        let first = bytes[start]
        var tag = UInt32(first)
        var offset = start + 1
        guard first & 0x1F == 0x1F else { return (tag, offset) }
        while true {
            guard offset < end else { throw .truncated(offset: offset) }
            let byte = bytes[offset]
            tag = tag << 8 | UInt32(byte)
            offset += 1
            guard offset - start <= maxTagBytes else { throw .tagTooLong(offset: start) }
            if byte & 0x80 == 0 { return (tag, offset) }
        }
    }

    private static func parseLength(_ bytes: [UInt8], at start: Int, end: Int, tag: UInt32) throws(TLVError)
        -> (Int, Int)
    {
        guard start < end else { throw .truncated(offset: start) }
        let first = bytes[start]
        if first < 0x80 { return (Int(first), start + 1) }
        let count = Int(first & 0x7F)
        guard (1...2).contains(count) else { throw .unsupportedLength(tag: tag, offset: start, form: first) }
        guard end - (start + 1) >= count else { throw .truncated(offset: start) }
        var length = 0
        for byte in bytes[(start + 1)..<(start + 1 + count)] { length = length << 8 | Int(byte) }
        return (length, start + 1 + count)
    }

    // MARK: - Encoding

    static func firstTagByte(_ tag: UInt32) -> UInt8 {
        var t = tag
        while t > 0xFF { t >>= 8 }
        return UInt8(t)
    }

    static func tagBytes(_ tag: UInt32) -> [UInt8] {
        var bytes: [UInt8] = []
        var t = tag
        repeat {
            bytes.insert(UInt8(t & 0xFF), at: 0)
            t >>= 8
        } while t > 0
        return bytes
    }

    /// The minimal BER length field for `count` (at most 65 535).
    public static func lengthBytes(_ count: Int) -> [UInt8] {
        switch count {
        case ..<0x80: [UInt8(count)]
        case ..<0x100: [0x81, UInt8(count)]
        default: [0x82, UInt8((count >> 8) & 0xFF), UInt8(count & 0xFF)]
        }
    }
}

/// Why BER-TLV bytes could not be parsed. Messages name tags and offsets, never values.
public enum TLVError: CodedError, Equatable {
    /// The input ends inside a tag or a length field.
    case truncated(offset: Int)
    /// A top-level value claims more bytes than the input holds.
    case valueTruncated(tag: UInt32, offset: Int, length: Int, available: Int)
    /// A nested value claims more bytes than its container holds.
    case exceedsContainer(tag: UInt32, offset: Int, length: Int, available: Int)
    /// The indefinite form (`80`) or a length field of three or more bytes.
    case unsupportedLength(tag: UInt32, offset: Int, form: UInt8)
    /// A tag of more than ``BERTLV/maxTagBytes`` bytes.
    case tagTooLong(offset: Int)
    /// Children were asked of a primitive data object.
    case notConstructed(tag: UInt32)

    public var code: ErrorCode { .malformedTLV }

    public var message: String {
        switch self {
        case .truncated(let offset):
            "BER-TLV input ends inside a tag or length at offset \(offset)"
        case .valueTruncated(let tag, let offset, let length, let available):
            "BER-TLV tag \(Self.hex(tag)) at offset \(offset) claims \(length) bytes, only \(available) follow"
        case .exceedsContainer(let tag, let offset, let length, let available):
            "BER-TLV tag \(Self.hex(tag)) at offset \(offset) claims \(length) bytes, beyond its container "
                + "(\(available) left)"
        case .unsupportedLength(let tag, let offset, let form):
            "BER-TLV tag \(Self.hex(tag)) at offset \(offset) has an unsupported length form "
                + String(form, radix: 16, uppercase: true)
        case .tagTooLong(let offset):
            "BER-TLV tag at offset \(offset) is longer than \(BERTLV.maxTagBytes) bytes"
        case .notConstructed(let tag):
            "BER-TLV tag \(Self.hex(tag)) is primitive and holds no data objects"
        }
    }

    /// A tag in hex, e.g. `"DF 22"`.
    public static func hex(_ tag: UInt32) -> String { BERTLV.tagBytes(tag).hexString }
}
