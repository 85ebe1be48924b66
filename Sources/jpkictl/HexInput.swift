extension [UInt8] {
    /// Parses hex from the command line, ignoring spaces and colons; nil for anything else.
    init?(hexInput: String) {
        let digits = [Unicode.Scalar](hexInput.unicodeScalars.filter { $0 != " " && $0 != ":" && $0 != "\t" })
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(digits[index]) + String(digits[index + 1]), radix: 16) else { return nil }
            bytes.append(byte)
        }
        self = bytes
    }
}
