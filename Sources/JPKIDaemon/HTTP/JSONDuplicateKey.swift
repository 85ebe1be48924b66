/// Finds an object key given twice in a JSON text, at any depth. A JSON decoder keeps one of the
/// two silently; jpkid refuses such a body instead of guessing which value was meant.
enum JSONDuplicateKey {
    /// The first key found twice in the same object (keys compared after unescaping), or nil.
    /// Only scans; the caller has already checked the text is valid JSON.
    static func first(in bytes: [UInt8]) -> String? {
        var objects: [Set<String>] = []
        /// Per nesting level: true for an object, false for an array.
        var containers: [Bool] = []
        var expectingKey = false
        var i = 0
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "{"):
                containers.append(true)
                objects.append([])
                expectingKey = true
            case UInt8(ascii: "["):
                containers.append(false)
                expectingKey = false
            case UInt8(ascii: "}"):
                if containers.popLast() == true { objects.removeLast() }
                expectingKey = false
            case UInt8(ascii: "]"):
                _ = containers.popLast()
                expectingKey = false
            case UInt8(ascii: ","):
                expectingKey = containers.last == true
            case UInt8(ascii: "\""):
                guard let (text, end) = string(bytes, from: i) else { return nil }
                if expectingKey, !objects.isEmpty {
                    if !objects[objects.count - 1].insert(text).inserted { return text }
                    expectingKey = false
                }
                i = end
            default:
                break
            }
            i += 1
        }
        return nil
    }

    /// The string starting at the quote at `start`, unescaped, and the index of its closing quote.
    private static func string(_ bytes: [UInt8], from start: Int) -> (String, Int)? {
        var scalars = String.UnicodeScalarView()
        var raw: [UInt8] = []
        var i = start + 1
        func flush() {
            scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars)
            raw.removeAll()
        }
        while i < bytes.count {
            let byte = bytes[i]
            if byte == UInt8(ascii: "\"") {
                flush()
                return (String(scalars), i)
            }
            if byte == UInt8(ascii: "\\"), i + 1 < bytes.count {
                flush()
                let escape = bytes[i + 1]
                switch escape {
                case UInt8(ascii: "u"):
                    guard i + 5 < bytes.count,
                        let code = UInt32(String(decoding: bytes[(i + 2)...(i + 5)], as: UTF8.self), radix: 16)
                    else { return nil }
                    scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                    i += 6
                    continue
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "b"): scalars.append("\u{8}")
                case UInt8(ascii: "f"): scalars.append("\u{C}")
                default: scalars.append(Unicode.Scalar(escape))
                }
                i += 2
                continue
            }
            raw.append(byte)
            i += 1
        }
        return nil
    }
}
