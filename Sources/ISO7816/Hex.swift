/// Hex text for bytes, both ways: how APDUs, ATRs, serials and fingerprints are shown and read.
extension Sequence<UInt8> {
    /// Upper-case hex with a space between bytes, e.g. `"00 A4 04 0C"`.
    public var hexString: String { hexDigits.joined(separator: " ") }

    /// Upper-case hex without separators, e.g. `"00A4040C"` (serials, fingerprints).
    public var compactHex: String { hexDigits.joined() }

    private var hexDigits: [String] {
        map { byte in
            let hex = String(byte, radix: 16, uppercase: true)
            return byte < 0x10 ? "0" + hex : hex
        }
    }
}

extension [UInt8] {
    /// Parses hex, ignoring spaces and colons (`"3B 88 80"`, `"3b:88:80"`); nil for anything else.
    public init?(hex: String) {
        let digits = hex.unicodeScalars.filter { $0 != " " && $0 != ":" && $0 != "\t" }
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var high: UInt8?
        for scalar in digits {
            guard let nibble = UInt8(String(scalar), radix: 16) else { return nil }
            if let first = high {
                bytes.append(first << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        self = bytes
    }
}
