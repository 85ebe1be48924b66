import FoundationEssentials

/// The keys of a JSON object, read with `JSONDecoder` (no `JSONSerialization`, which would pull
/// full Foundation into the daemon). Nil when the text is not a JSON object.
enum JSONObjectKeys {
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

    static func of(_ bytes: some Sequence<UInt8>) -> [String]? {
        try? JSONDecoder().decode(Keys.self, from: Data(bytes)).keys
    }
}
