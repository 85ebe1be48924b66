import CPCSCLite
import ErrorCodes
import ISO7816

/// A pcsc-lite return code as an error with a stable code (`no_service`, `card_removed`, ...).
public struct PCSCError: CodedError, Equatable {
    /// The pcsc-lite return value (`SCARD_E_*`, `SCARD_W_*`, `SCARD_F_*`).
    public let status: Int
    /// The call that failed, e.g. `SCardTransmit`.
    public let operation: String

    public init(status: Int, operation: String) {
        self.status = status
        self.operation = operation
    }

    /// Throws unless `status` is `SCARD_S_SUCCESS`.
    static func check(_ status: Int, _ operation: String) throws(PCSCError) {
        guard status == Int(SCARD_S_SUCCESS) else { throw PCSCError(status: status, operation: operation) }
    }

    public var code: ErrorCode {
        switch status {
        case SCARD_E_NO_SERVICE, SCARD_E_SERVICE_STOPPED: .noService
        case SCARD_F_COMM_ERROR: .commError
        case SCARD_E_NO_READERS_AVAILABLE: .noReaders
        case SCARD_W_REMOVED_CARD: .cardRemoved
        case SCARD_E_NO_SMARTCARD: .noCard
        case SCARD_E_READER_UNAVAILABLE: .readerUnavailable
        case SCARD_E_UNKNOWN_READER: .unknownReader
        case SCARD_E_TIMEOUT: .timeout
        case SCARD_E_SHARING_VIOLATION: .sharingViolation
        case SCARD_E_CANCELLED, SCARD_E_SYSTEM_CANCELLED: .cancelled
        case SCARD_W_RESET_CARD: .cardReset
        case SCARD_W_UNRESPONSIVE_CARD, SCARD_W_UNPOWERED_CARD: .cardUnresponsive
        case SCARD_W_UNSUPPORTED_CARD, SCARD_E_CARD_UNSUPPORTED, SCARD_E_UNKNOWN_CARD: .unsupportedCard
        case SCARD_E_PROTO_MISMATCH: .protocolMismatch
        case SCARD_W_SECURITY_VIOLATION: .accessDenied
        case SCARD_E_INVALID_HANDLE: .invalidHandle
        case SCARD_E_NOT_TRANSACTED: .notTransacted
        case SCARD_E_INSUFFICIENT_BUFFER: .insufficientBuffer
        case SCARD_E_INVALID_PARAMETER, SCARD_E_INVALID_VALUE: .invalidParameter
        case SCARD_E_NO_MEMORY: .noMemory
        default: .pcscError
        }
    }

    /// True when pcscd itself is gone and the context must be established again.
    public var isServiceLost: Bool { code == .noService || code == .commError }

    /// True when the card left the reader (or never was there).
    public var isCardGone: Bool { [.cardRemoved, .noCard, .readerUnavailable, .unknownReader].contains(code) }

    public var message: String {
        let hex = String(UInt32(truncatingIfNeeded: status), radix: 16, uppercase: true)
        let text: String =
            switch code {
            case .noService: "pcscd is not running (start pcscd or pcscd.socket)"
            case .commError: "the connection to pcscd broke (pcscd stopped or crashed)"
            case .noReaders: "no card reader is connected"
            case .cardRemoved: "the card was removed from the reader"
            case .noCard: "there is no card in the reader"
            case .readerUnavailable: "the reader is not available (unplugged?)"
            case .unknownReader: "no such reader"
            case .timeout: "the operation timed out"
            case .sharingViolation: "another program holds the card exclusively"
            case .cancelled: "the operation was cancelled"
            case .cardReset: "the card was reset by another program"
            case .cardUnresponsive: "the card does not answer (hold it still on the reader)"
            case .unsupportedCard: "the reader cannot talk to this card"
            case .protocolMismatch: "the card does not speak the requested protocol"
            case .accessDenied: "pcscd refused access (polkit: see README troubleshooting)"
            case .invalidHandle: "the card connection is no longer valid"
            default: "pcsc-lite error"
            }
        return "\(operation): \(text) (0x\(hex))"
    }
}
