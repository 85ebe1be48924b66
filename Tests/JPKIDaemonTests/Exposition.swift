import Foundation

/// A Prometheus text exposition parsed strictly, for the metrics tests: every line is a
/// `# HELP`/`# TYPE` comment or `name{label="value",...} number`; anything else is an error.
struct Exposition {
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    var samples: [Sample] = []
    var types: [String: String] = [:]
    var helps: [String: String] = [:]

    struct ParseError: Error, CustomStringConvertible {
        let description: String
    }

    init(_ text: String) throws {
        guard text.isEmpty || text.hasSuffix("\n") else { throw ParseError(description: "no final newline") }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
                let words = line.split(separator: " ", maxSplits: 3)
                guard words.count == 4 else { throw ParseError(description: "bad comment: \(line)") }
                if words[1] == "TYPE" {
                    types[String(words[2])] = String(words[3])
                } else {
                    helps[String(words[2])] = String(words[3])
                }
                continue
            }
            samples.append(try Self.sample(line))
        }
    }

    private static func sample(_ line: Substring) throws -> Sample {
        let bad = ParseError(description: "bad sample line: \(line)")
        guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
            throw bad
        }
        let series = line[..<space]
        guard let brace = series.firstIndex(of: "{") else {
            guard isName(series) else { throw bad }
            return Sample(name: String(series), labels: [:], value: value)
        }
        let name = series[..<brace]
        guard isName(name), series.hasSuffix("}") else { throw bad }
        var rest = series[series.index(after: brace)..<series.index(before: series.endIndex)]
        var labels: [String: String] = [:]
        while !rest.isEmpty {
            guard let equals = rest.firstIndex(of: "="), isName(rest[..<equals]) else { throw bad }
            let key = String(rest[..<equals])
            rest = rest[rest.index(after: equals)...]
            guard rest.first == "\"" else { throw bad }
            rest = rest.dropFirst()
            var value = ""
            var escaped = false
            while let c = rest.first {
                rest = rest.dropFirst()
                if escaped {
                    value.append(c == "n" ? "\n" : c)
                    escaped = false
                } else if c == "\\" {
                    escaped = true
                } else if c == "\"" {
                    break
                } else {
                    value.append(c)
                }
            }
            guard labels.updateValue(value, forKey: key) == nil else { throw bad }
            if rest.first == "," { rest = rest.dropFirst() } else if !rest.isEmpty { throw bad }
        }
        return Sample(name: String(name), labels: labels, value: value)
    }

    private static func isName(_ text: Substring) -> Bool {
        guard let first = text.first, first.isLetter || first == "_" else { return false }
        return text.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "_" || $0 == ":" }
    }

    /// The value of the one sample with this name and exactly these labels, nil when none.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    /// Every label value in the exposition.
    var labelValues: [String] { samples.flatMap { $0.labels.values } }
}
