import FoundationEssentials

/// The top-level keys of a JSON object, to check them against the fields a request takes; read
/// with `JSONDecoder` (no `JSONSerialization`, which would pull full Foundation into the daemon).
/// Nil when the text is not a JSON object or nests deeper than ``maxDepth``.
enum JSONTopLevelKeys {
    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Any JSON value, skipped.
    private struct Skip: Decodable {
        init(from decoder: any Decoder) throws {
            if var array = try? decoder.unkeyedContainer() {
                while !array.isAtEnd { _ = try array.decode(Skip.self) }
            } else if let object = try? decoder.container(keyedBy: AnyKey.self) {
                for key in object.allKeys { _ = try object.decode(Skip.self, forKey: key) }
            } else {
                let value = try decoder.singleValueContainer()
                if value.decodeNil() { return }
                if (try? value.decode(Bool.self)) != nil { return }
                if (try? value.decode(Double.self)) != nil { return }
                _ = try value.decode(String.self)
            }
        }
    }

    private struct Keys: Decodable {
        var keys: [String]
        init(from decoder: any Decoder) throws {
            let object = try decoder.container(keyedBy: AnyKey.self)
            for key in object.allKeys { _ = try object.decode(Skip.self, forKey: key) }
            keys = object.allKeys.map(\.stringValue)
        }
    }

    /// The deepest nesting a body may have. jpkid's bodies are flat; the bound keeps a hostile
    /// body from driving the decoder (and `Skip`) into deep recursion.
    static let maxDepth = 16

    static func of(_ bytes: some Collection<UInt8>) -> [String]? {
        guard depth(of: bytes) <= maxDepth else { return nil }
        return try? JSONDecoder().decode(Keys.self, from: Data(bytes)).keys
    }

    /// The deepest nesting of arrays and objects, outside strings.
    static func depth(of bytes: some Collection<UInt8>) -> Int {
        var depth = 0
        var deepest = 0
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                deepest = max(deepest, depth)
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return deepest
    }
}
