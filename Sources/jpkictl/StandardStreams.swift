import FoundationEssentials
import JPKIStaff

#if canImport(Glibc)
    import Glibc
#endif

/// Standard output and error as byte sinks: what jpkictl used Foundation's `FileHandle` for,
/// without pulling full Foundation (and its ICU data) into the binary.
struct StandardStream {
    let descriptor: Int32

    static let standardOutput = StandardStream(descriptor: STDOUT_FILENO)
    static let standardError = StandardStream(descriptor: STDERR_FILENO)

    /// Writes all of `data` (after what `print` buffered), retrying short writes.
    func write(_ data: Data) {
        fflush(nil)
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }
}

extension StandardStream {
    /// Writes JSON from jpkid (or made of its answers) with the characters unsafe for a
    /// terminal escaped as JSON escapes (``TerminalText/escapeJSON(_:)``): valid JSON still.
    func writeJSON(_ data: Data) { write(TerminalText.escapeJSON(data)) }
}

/// Everything jpkictl prints with `print` goes to the terminal escaped (``TerminalText``): C0
/// and C1 controls and bidi overrides from a card or jpkid cannot act on the terminal. Line
/// breaks of the message stay; values from a card escape theirs too (`terminalSafe`).
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    let text = items.map { "\($0)" }.joined(separator: separator)
    Swift.print(TerminalText.escape(text, keepingNewlines: true), terminator: terminator)
}

extension String {
    /// Left-aligned in a column of `width` characters (longer text is kept whole).
    func padded(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}

/// An error line on standard error, its text escaped for the terminal (``TerminalText``).
func printError(_ message: String) {
    StandardStream.standardError.write(Data("jpkictl: \(TerminalText.escape(message, keepingNewlines: true))\n".utf8))
}
