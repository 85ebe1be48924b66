import ISO7816

/// What the card-text AP (券面事項入力補助AP) holds: the my number and the basic four attributes.
///
/// Every field is optional because a caller reads only the fields it asks for. All of it is
/// personal data: `description`, `debugDescription`, `dump` and string interpolation show which
/// fields are present, never their values.
public struct CardText: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The fields a caller can ask for.
    public enum Field: String, Sendable, CaseIterable, Codable, Hashable {
        case myNumber, name, address, birthDate, sex

        /// What a read returns unless asked otherwise: everything but the my number, which is read
        /// only when asked for by name.
        public static let defaults: Set<Field> = [.name, .address, .birthDate, .sex]
    }

    public var myNumber: MyNumber?
    /// The name as on the card (family and given name separated by a full-width space).
    public var name: String?
    public var address: String?
    public var birthDate: CardDate?
    public var sex: Sex?

    public init(
        myNumber: MyNumber? = nil, name: String? = nil, address: String? = nil, birthDate: CardDate? = nil,
        sex: Sex? = nil
    ) {
        self.myNumber = myNumber
        self.name = name
        self.address = address
        self.birthDate = birthDate
        self.sex = sex
    }

    /// The fields that hold a value.
    public var presentFields: [Field] {
        var fields: [Field] = []
        if myNumber != nil { fields.append(.myNumber) }
        if name != nil { fields.append(.name) }
        if address != nil { fields.append(.address) }
        if birthDate != nil { fields.append(.birthDate) }
        if sex != nil { fields.append(.sex) }
        return fields
    }

    public var description: String {
        "CardText(\(presentFields.map(\.rawValue).joined(separator: ", ")): redacted)"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["fields": presentFields.map(\.rawValue)]) }

    // MARK: - Parsing the EFs

    /// EF `0001`: `FF 10 0C` and 12 ASCII digits, then filler (`FF FF` on a real card, 17 bytes in
    /// all); the check digit must match.
    public static func parseMyNumber(_ ef: [UInt8]) throws(CardError) -> MyNumber {
        let tlv = try CardDataTLV.outer(ef, tag: 0xFF10, file: "my number EF 0001")
        guard tlv.value.count == 12 else {
            throw .malformedResponse("my number EF 0001 holds \(tlv.value.count) bytes, expected 12")
        }
        return try MyNumber(String(decoding: tlv.value, as: UTF8.self))
    }

    /// EF `0002`: `FF 20` holding `DF 21` (the offsets of the four fields from the file's first
    /// byte, checked against where they are), then exactly `DF 22` name, `DF 23` address, `DF 24`
    /// birth date `YYYYMMDD`, `DF 25` sex, once each and in this order; filler (`00`/`FF`) after the
    /// objects ends them. Only `fields` are decoded.
    public static func parseBasicAttributes(_ ef: [UInt8], fields: Set<Field> = Field.defaults) throws(CardError)
        -> CardText
    {
        try parseSignedBasicAttributes(ef, fields: fields).text
    }

    /// The tags of EF `0002` after its offset table, in the only order accepted.
    static let basicAttributeTags: [UInt32] = [0xDF22, 0xDF23, 0xDF24, 0xDF25]

    /// As ``parseBasicAttributes(_:fields:)``, with the bytes `DF32` of the integrity record covers
    /// (reference 13.3: from the first byte of the `DF22` TLV to the end of the `DF25` TLV, as
    /// stored), taken from the same walk as the decoded fields: the data shown is the data hashed.
    static func parseSignedBasicAttributes(_ ef: [UInt8], fields: Set<Field> = Field.defaults) throws(CardError)
        -> (text: CardText, signed: [UInt8])
    {
        let file = "basic attributes EF 0002"
        let stored = try CardDataTLV.checkedStoredFields(ef, tag: 0xFF20, file: file, layout: basicAttributeTags)
        let children = stored.map(\.tlv)
        var text = CardText()
        if fields.contains(.name) { text.name = try CardDataTLV.utf8(children, 0xDF22, "name", file: file) }
        if fields.contains(.address) {
            text.address = try CardDataTLV.utf8(children, 0xDF23, "address", file: file)
        }
        if fields.contains(.birthDate) {
            let raw = try CardDataTLV.utf8(children, 0xDF24, "birth date", file: file)
            guard let date = CardDate(yyyymmdd: raw) else {
                throw .malformedResponse("\(file): the birth date is not a YYYYMMDD date")
            }
            text.birthDate = date
        }
        if fields.contains(.sex) {
            text.sex = Sex(code: try CardDataTLV.utf8(children, 0xDF25, "sex", file: file))
        }
        // The layout is exactly DF22…DF25, contiguous: one slice of the file.
        return (text, Array(ef[stored[0].offset..<stored[stored.count - 1].end]))
    }
}

/// A calendar date as the card stores it (`YYYYMMDD`): a birth date is personal data, so
/// `description`, `debugDescription` and `dump` never show it; ask for ``iso`` on purpose.
public struct CardDate: Sendable, Equatable, Codable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    public let year: Int
    public let month: Int
    public let day: Int

    /// Parses 8 ASCII digits with a month 1…12 and a day 1…31.
    public init?(yyyymmdd: String) {
        let bytes = Array(yyyymmdd.utf8)
        guard bytes.count == 8, bytes.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        let value = Int(yyyymmdd)!
        (year, month, day) = (value / 10_000, value / 100 % 100, value % 100)
        guard (1...12).contains(month), (1...31).contains(day) else { return nil }
    }

    /// `YYYY-MM-DD`.
    public var iso: String {
        let y = String(year), m = String(month), d = String(day)
        return String(repeating: "0", count: max(0, 4 - y.count)) + y + "-" + (m.count < 2 ? "0" : "") + m + "-"
            + (d.count < 2 ? "0" : "") + d
    }

    public var description: String { "CardDate(redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}

/// Sex as the card codes it (ISO 5218 style): `1` male, `2` female, `9` not applicable, `0` not
/// known. Another code is kept as it is. Personal data: `description` and `dump` do not show it.
public struct Sex: Sendable, Equatable, Codable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    public let code: String
    public init(code: String) { self.code = code }

    public var description: String { "Sex(redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [:]) }

    /// `male`, `female`, `not_applicable`, `not_known` or `other`.
    public var name: String {
        switch code {
        case "1": "male"
        case "2": "female"
        case "9": "not_applicable"
        case "0": "not_known"
        default: "other"
        }
    }
}

/// The BER-TLV steps the card-data parsers share, with errors that name the file and the field,
/// never a value.
enum CardDataTLV {
    /// The outer data object of an EF that may be padded after it.
    static func outer(_ ef: [UInt8], tag: UInt32, file: String) throws(CardError) -> BERTLV {
        let tlv: BERTLV
        do {
            tlv = try BERTLV.parseFirst(ef).tlv
        } catch {
            throw .malformedResponse("\(file): \(error.message)")
        }
        guard tlv.tag == tag else {
            throw .malformedResponse("\(file) starts with tag \(TLVError.hex(tlv.tag)), expected \(TLVError.hex(tag))")
        }
        return tlv
    }

    /// One data object of a file and where it was stored: `offset` of its tag from the file's first
    /// byte, `end` just past its value.
    struct StoredField {
        let tlv: BERTLV
        let offset: Int
        let end: Int
    }

    /// The data objects inside the outer object of `ef`, each with where it is stored. A `00` or
    /// `FF` byte where a tag is expected is filler and ends the walk.
    static func fieldsWithOffsets(_ ef: [UInt8], tag: UInt32, file: String) throws(CardError) -> [StoredField] {
        let outer: (tlv: BERTLV, consumed: Int)
        do {
            outer = try BERTLV.parseFirst(ef)
        } catch {
            throw .malformedResponse("\(file): \(error.message)")
        }
        guard outer.tlv.tag == tag else {
            throw .malformedResponse(
                "\(file) starts with tag \(TLVError.hex(outer.tlv.tag)), expected \(TLVError.hex(tag))")
        }
        // The header's own length, never "file length minus value length": filler may follow.
        var position = outer.consumed - outer.tlv.value.count
        let end = outer.consumed
        var fields: [StoredField] = []
        while position < end, ef[position] != 0x00, ef[position] != 0xFF {
            let next: (tlv: BERTLV, next: Int)
            do {
                next = try BERTLV.parse(ef, at: position, end: end)
            } catch {
                throw .malformedResponse("\(file) at offset \(position): \(error.message)")
            }
            fields.append(StoredField(tlv: next.tlv, offset: position, end: next.next))
            position = next.next
        }
        return fields
    }

    /// The data objects of `ef` after its `DF 21` offset table, which must give, as 16-bit
    /// big-endian numbers counted from the file's first byte, where each following object starts.
    /// The objects must be exactly `layout`, once each and in that order, then any of `optional`,
    /// in its order, at most once each: a signed file with a tag twice or out of place could show
    /// one object and have another one signed.
    static func checkedStoredFields(
        _ ef: [UInt8], tag: UInt32, file: String, layout: [UInt32], optional: [UInt32] = []
    ) throws(CardError) -> [StoredField] {
        let fields = try fieldsWithOffsets(ef, tag: tag, file: file)
        guard let first = fields.first, first.tlv.tag == 0xDF21 else {
            throw .malformedResponse("\(file) has no offset table (DF 21) first")
        }
        let following = Array(fields.dropFirst())
        var optionalLeft = optional[...]
        for (index, field) in following.enumerated() {
            if index < layout.count {
                guard field.tlv.tag == layout[index] else {
                    throw .malformedResponse(
                        "\(file) holds \(TLVError.hex(field.tlv.tag)) where \(TLVError.hex(layout[index])) belongs")
                }
            } else {
                guard let at = optionalLeft.firstIndex(of: field.tlv.tag) else {
                    throw .malformedResponse("\(file) holds \(TLVError.hex(field.tlv.tag)) out of place or twice")
                }
                optionalLeft = optionalLeft[(at + 1)...]
            }
        }
        guard following.count >= layout.count else {
            throw .malformedResponse(
                "\(file) has no \(TLVError.hex(layout[following.count])) (of \(layout.count) fields)")
        }
        let table = first.tlv.value
        guard table.count == 2 * following.count else {
            throw .malformedResponse(
                "\(file): the offset table lists \(table.count / 2) fields, the file holds \(following.count)")
        }
        for (index, field) in following.enumerated() {
            let listed = Int(table[2 * index]) << 8 | Int(table[2 * index + 1])
            guard listed == field.offset else {
                throw .malformedResponse(
                    "\(file): the offset table puts \(TLVError.hex(field.tlv.tag)) at \(listed), it is at \(field.offset)"
                )
            }
        }
        return following
    }

    static func value(_ children: [BERTLV], _ tag: UInt32, _ field: String, file: String) throws(CardError)
        -> [UInt8]
    {
        guard let child = children.first(where: { $0.tag == tag }) else {
            throw .malformedResponse("\(file) has no \(field) (tag \(TLVError.hex(tag)))")
        }
        return child.value
    }

    static func utf8(_ children: [BERTLV], _ tag: UInt32, _ field: String, file: String) throws(CardError)
        -> String
    {
        let bytes = try value(children, tag, field, file: file)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .malformedResponse("\(file): the \(field) is not UTF-8")
        }
        // Text fields may be padded with NUL or spaces up to a fixed size.
        var end = text.endIndex
        while end > text.startIndex, let last = text[..<end].last, last == "\0" || last == " " {
            end = text.index(before: end)
        }
        return String(text[..<end])
    }
}
