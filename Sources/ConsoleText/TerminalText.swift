import FoundationEssentials

/// Text from a card or from jpkid made safe for a terminal: C0 and C1 control characters, DEL
/// and the bidirectional-text controls (U+202A–U+202E, U+2066–U+2069, and the marks U+200E,
/// U+200F, U+061C) become `\uXXXX`, so a card whose name holds escape sequences cannot clear
/// the screen, set the window title, move the cursor to print a fake line, or reorder what the
/// staff read. The same form is a valid JSON escape, so JSON output stays valid (and means the
/// same) after ``escapeJSON(_:)``.
public enum TerminalText {
    /// Whether `scalar` must not reach a terminal as it is.
    public static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: true
        default: false
        }
    }

    /// `text` with every unsafe character escaped; a line break too unless `keepingNewlines`
    /// (for whole messages: a value from a card keeps its breaks escaped, so it cannot start a
    /// line of its own).
    public static func escape(_ text: String, keepingNewlines: Bool = false) -> String {
        guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isUnsafe(scalar), !(keepingNewlines && scalar == "\n") {
                let hex = String(scalar.value, radix: 16, uppercase: true)
                out.append(
                    contentsOf: "\\u\(String(repeating: "0", count: max(0, 4 - hex.count)))\(hex)".unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// JSON text with the unsafe characters inside its strings escaped (`\u202E`): still valid
    /// JSON with the same meaning. Tab, line feed and carriage return stay: in valid JSON they
    /// can only be whitespace between tokens.
    public static func escapeJSON(_ data: Data) -> Data {
        let text = String(decoding: data, as: UTF8.self)
        guard text.unicodeScalars.contains(where: { isUnsafe($0) && !["\t", "\n", "\r"].contains($0) }) else {
            return data
        }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isUnsafe(scalar), !["\t", "\n", "\r"].contains(scalar) {
                let hex = String(scalar.value, radix: 16, uppercase: true)
                out.append(
                    contentsOf: "\\u\(String(repeating: "0", count: max(0, 4 - hex.count)))\(hex)".unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return Data(String(out).utf8)
    }
}

extension StringProtocol {
    /// One line for a terminal: ``TerminalText/escape(_:keepingNewlines:)`` with line breaks
    /// escaped too. For values from a card or jpkid (names, addresses, reader names, messages).
    public var terminalSafe: String { TerminalText.escape(String(self)) }
}
