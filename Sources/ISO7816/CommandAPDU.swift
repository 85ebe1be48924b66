import Secrets

/// An ISO 7816-4 command APDU (cases 1–4, short or extended length).
///
/// `expectedLength` (Le) is the number of response bytes asked for: `nil` for none, 1...256 in
/// short form (256 is encoded as `00`), up to 65 536 in extended form.
public struct CommandAPDU: Sendable, Hashable {
    public let cla: UInt8
    public let ins: UInt8
    public let p1: UInt8
    public let p2: UInt8
    public private(set) var data: [UInt8]
    public let expectedLength: Int?

    /// The largest Lc an extended APDU can carry.
    public static let maxDataLength = 65_535
    /// The largest Le an extended APDU can ask for.
    public static let maxExpectedLength = 65_536

    /// Creates a command, rejecting an oversized Lc or an out-of-range Le.
    public init(
        cla: UInt8 = 0x00, ins: UInt8, p1: UInt8, p2: UInt8, data: [UInt8] = [],
        expectedLength: Int? = nil
    ) throws(APDUError) {
        guard data.count <= Self.maxDataLength else { throw .dataTooLong(count: data.count) }
        if let le = expectedLength, !(1...Self.maxExpectedLength).contains(le) {
            throw .invalidExpectedLength(le)
        }
        self.cla = cla
        self.ins = ins
        self.p1 = p1
        self.p2 = p2
        self.data = data
        self.expectedLength = expectedLength
    }

    /// Overwrites the data (a PIN) in place and empties it. Call it once the command has been
    /// sent, when no other copy shares the storage.
    public mutating func wipe() { data.wipe() }

    /// Whether the data is reference data (a PIN) that must not outlive the command.
    public var carriesSecret: Bool { Self.secretInstructions.contains(ins) && !data.isEmpty }

    /// Whether a `6F 00` to this command may be answered by sending it once more: SELECT, READ
    /// BINARY, GET DATA and the empty VERIFY change nothing on the card. A VERIFY with data,
    /// CHANGE REFERENCE DATA or COMPUTE DIGITAL SIGNATURE never qualifies: the first may already
    /// have spent a try or made a signature.
    public var isRetriableAfterNoDiagnosis: Bool {
        switch ins {
        case 0xA4, 0xB0, 0xB1, 0xCA, 0xCB: true
        case 0x20: data.isEmpty
        default: false
        }
    }

    /// The ISO 7816-3 case of this command.
    public enum Case: Sendable, Equatable {
        /// No data, no response data.
        case case1
        /// No data, response data expected.
        case case2
        /// Data, no response data.
        case case3
        /// Data and response data.
        case case4
    }

    public var apduCase: Case {
        switch (data.isEmpty, expectedLength == nil) {
        case (true, true): .case1
        case (true, false): .case2
        case (false, true): .case3
        case (false, false): .case4
        }
    }

    /// Whether this command needs extended length fields.
    public var needsExtendedLength: Bool {
        data.count > 255 || (expectedLength ?? 0) > 256
    }

    /// The encoded bytes; extended length fields are used when needed or when `forceExtended` is set.
    public func encoded(forceExtended: Bool = false) -> [UInt8] {
        var bytes: [UInt8] = [cla, ins, p1, p2]
        let extended = forceExtended || needsExtendedLength
        if !data.isEmpty {
            if extended {
                bytes += [0x00, UInt8(data.count >> 8), UInt8(data.count & 0xFF)]
            } else {
                bytes.append(UInt8(data.count))
            }
            bytes += data
        }
        if let le = expectedLength {
            if extended {
                let value = le == 65_536 ? 0 : le
                if data.isEmpty { bytes.append(0x00) }
                bytes += [UInt8(value >> 8), UInt8(value & 0xFF)]
            } else {
                bytes.append(le == 256 ? 0x00 : UInt8(le))
            }
        }
        return bytes
    }

    /// Parses command bytes as a card would; anything that fits no ISO 7816-3 case is an error.
    public init(bytes: [UInt8]) throws(APDUError) {
        guard bytes.count >= 4 else {
            throw .malformedCommand("\(bytes.count) byte(s); the 4-byte header is required")
        }
        let header = (bytes[0], bytes[1], bytes[2], bytes[3])
        let body = Array(bytes[4...])
        var data: [UInt8] = []
        var le: Int?
        switch body.count {
        case 0:
            break
        case 1:
            le = body[0] == 0 ? 256 : Int(body[0])
        default:
            if body[0] != 0 {
                let lc = Int(body[0])
                if body.count == 1 + lc {
                    data = Array(body[1...])
                } else if body.count == 2 + lc {
                    data = Array(body[1...lc])
                    le = body[lc + 1] == 0 ? 256 : Int(body[lc + 1])
                } else {
                    throw .malformedCommand("short Lc=\(lc) does not match \(body.count - 1) body byte(s)")
                }
            } else if body.count < 3 {
                throw .malformedCommand("a body starting with 00 needs at least 3 bytes")
            } else if body.count == 3 {
                let value = Int(body[1]) << 8 | Int(body[2])
                le = value == 0 ? 65_536 : value
            } else {
                let lc = Int(body[1]) << 8 | Int(body[2])
                guard lc > 0 else { throw .malformedCommand("extended Lc of 0") }
                if body.count == 3 + lc {
                    data = Array(body[3...])
                } else if body.count == 5 + lc {
                    data = Array(body[3..<(3 + lc)])
                    let value = Int(body[3 + lc]) << 8 | Int(body[4 + lc])
                    le = value == 0 ? 65_536 : value
                } else {
                    throw .malformedCommand("extended Lc=\(lc) does not match \(body.count - 3) body byte(s)")
                }
            }
        }
        try self.init(cla: header.0, ins: header.1, p1: header.2, p2: header.3, data: data, expectedLength: le)
    }
}

extension CommandAPDU: CustomStringConvertible {
    /// Hex form of the command. Use ``redactedDescription`` where a PIN may be in the data.
    public var description: String { encoded().hexString }

    /// Instructions whose command data is reference data (a PIN) and must never be shown.
    public static let secretInstructions: Set<UInt8> = [0x20, 0x21, 0x24, 0x2C]

    /// The command in hex, with the data of VERIFY / CHANGE / RESET RETRY replaced by its length.
    public var redactedDescription: String {
        guard Self.secretInstructions.contains(ins), !data.isEmpty else { return description }
        let header = [cla, ins, p1, p2].hexString
        return "\(header) [\(data.count) byte(s) redacted]"
    }
}
