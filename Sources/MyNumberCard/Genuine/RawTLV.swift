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
        var position = 0
        // Indices into the one array: no copy of the rest of the file per object.
        while position < bytes.count {
            if stoppingAtFiller, bytes[position] == 0x00 || bytes[position] == 0xFF { break }
            let (tlv, next) = try BERTLV.parse(bytes, at: position, end: bytes.count)
            result.append(RawTLV(tag: tlv.tag, value: tlv.value, stored: Array(bytes[position..<next])))
            position = next
        }
        return result
    }

    /// The single outer object of a file (`FF 20 …`) and its children, as stored. Filler after the
    /// outer object, and inside it after the last child, is ignored; an erased file (all `00` or
    /// all `FF`) does not parse, nor does one with a child tag twice.
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
            let children = try scan(outer.value, stoppingAtFiller: true)
            // Signed layouts name each field once: a second copy could be shown while the first
            // is verified (or the other way round).
            var seen: Set<UInt32> = []
            for child in children where !seen.insert(child.tag).inserted {
                throw CardError.malformedResponse("\(file) holds \(TLVError.hex(child.tag)) twice")
            }
            return children
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
