import ISO7816

/// One BER-TLV data object with the exact bytes it was stored as.
///
/// Signed card data (reference 13) is signed over TLVs "as stored": a verifier must hash the
/// card's own bytes, never a re-encoding (a long-form length the card chose would change).
public struct RawTLV: Sendable, Equatable {
    public let tag: UInt32
    public let value: [UInt8]
    /// Tag, length and value exactly as they were in the file.
    public let stored: [UInt8]

    /// The objects in `bytes`, in order. With `stoppingAtFiller`, a `00` or `FF` byte where a tag
    /// is expected ends the list (files carry filler after their data).
    public static func scan(_ bytes: [UInt8], stoppingAtFiller: Bool) throws(TLVError) -> [RawTLV] {
        var result: [RawTLV] = []
        var rest = bytes[...]
        while let first = rest.first {
            if stoppingAtFiller, first == 0x00 || first == 0xFF { break }
            let (tlv, consumed) = try BERTLV.parseFirst(Array(rest))
            result.append(RawTLV(tag: tlv.tag, value: tlv.value, stored: Array(rest.prefix(consumed))))
            rest = rest.dropFirst(consumed)
        }
        return result
    }

    /// The single outer object of a file (`FF 20 …`) and its children, as stored. Filler after the
    /// outer object, and inside it after the last child, is ignored; an erased file (all `00` or
    /// all `FF`) does not parse.
    static func file(_ ef: [UInt8], tag: UInt32, file: String) throws(CardError) -> [RawTLV] {
        do {
            // The outer tag may itself start with FF (`FF 20`): only after it is FF filler.
            guard let first = ef.first, first != 0x00 else { throw CardError.malformedResponse("\(file) is empty") }
            let (parsed, consumed) = try BERTLV.parseFirst(ef)
            let outer = RawTLV(tag: parsed.tag, value: parsed.value, stored: Array(ef.prefix(consumed)))
            guard outer.tag == tag else {
                throw CardError.malformedResponse(
                    "\(file) starts with tag \(TLVError.hex(outer.tag)), expected \(TLVError.hex(tag))")
            }
            return try scan(outer.value, stoppingAtFiller: true)
        } catch let error as TLVError {
            throw .malformedResponse("\(file): \(error.message)")
        } catch let error as CardError {
            throw error
        } catch {
            throw .malformedResponse("\(file): \(error)")
        }
    }

    /// The child with `tag`, or an error naming the field.
    static func child(_ children: [RawTLV], _ tag: UInt32, _ field: String, file: String) throws(CardError) -> RawTLV {
        guard let child = children.first(where: { $0.tag == tag }) else {
            throw .malformedResponse("\(file) has no \(field) (tag \(TLVError.hex(tag)))")
        }
        return child
    }

    /// Tag bytes, minimal length, value.
    static func encode(tag: [UInt8], _ value: [UInt8]) -> [UInt8] {
        tag + BERTLV.lengthBytes(value.count) + value
    }
}
