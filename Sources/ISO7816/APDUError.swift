import ErrorCodes

/// Malformed APDUs, found while encoding a command or decoding a response.
public enum APDUError: CodedError, Equatable {
    /// A response must hold at least the two status bytes.
    case responseTooShort(count: Int)
    /// Command data longer than an extended Lc can carry (65 535 bytes).
    case dataTooLong(count: Int)
    /// Le outside 1...65 536.
    case invalidExpectedLength(Int)
    /// A command whose bytes do not match any ISO 7816-4 case.
    case malformedCommand(String)

    public var code: ErrorCode { .malformedAPDU }

    public var message: String {
        switch self {
        case .responseTooShort(let count):
            "response APDU has \(count) byte(s); at least the 2 status bytes are required"
        case .dataTooLong(let count):
            "command data of \(count) bytes exceeds the extended Lc limit of 65535"
        case .invalidExpectedLength(let le):
            "expected length Le=\(le) is outside 1...65536"
        case .malformedCommand(let reason):
            "malformed command APDU: \(reason)"
        }
    }
}
