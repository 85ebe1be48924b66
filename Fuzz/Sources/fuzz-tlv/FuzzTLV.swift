import FuzzSupport
import ISO7816

/// The BER-TLV parser of the card-data files (`BERTLV`): never a trap, and what parses
/// agrees with itself (re-encoding parses to the same objects, the header-only length agrees with
/// the parse, children stay inside their parent).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTLV(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)

    if let objects = try? BERTLV.parseAll(bytes) {
        let encoded = objects.flatMap(\.encoded)
        require((try? BERTLV.parseAll(encoded)) == objects, "re-encoded objects parse differently")
        require(encoded.count <= bytes.count, "the minimal encoding is longer than the input")
        for object in objects { walk(object, depth: 0) }
    }

    if let (first, consumed) = try? BERTLV.parseFirst(bytes) {
        require(consumed <= bytes.count && consumed >= first.value.count + 2, "consumed \(consumed) of \(bytes.count)")
        require((try? BERTLV.totalLength(ofObjectStarting: bytes)) == consumed, "header length disagrees with parse")
        require((try? BERTLV.parseFirst(first.encoded))?.tlv == first, "first object does not round-trip")
    }
    return 0
}

/// Every constructed object's children, down to the leaves: each inside its parent.
private func walk(_ object: BERTLV, depth: Int) {
    require(depth < 40_000, "nesting deeper than the input allows")
    guard object.isConstructed, let children = try? object.children() else { return }
    require(children.reduce(0) { $0 + $1.value.count } <= object.value.count, "children larger than parent")
    for child in children { walk(child, depth: depth + 1) }
}

@main
enum TLVFuzzer {
    static func main() { runFuzzer(fuzzTLV) }
}
