import CPCSCLite
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

    public var code: String {
        switch status {
        case SCARD_E_NO_SERVICE, SCARD_E_SERVICE_STOPPED: "no_service"
        case SCARD_F_COMM_ERROR: "comm_error"
        case SCARD_E_NO_READERS_AVAILABLE: "no_readers"
        case SCARD_W_REMOVED_CARD: "card_removed"
        case SCARD_E_NO_SMARTCARD: "no_card"
        case SCARD_E_READER_UNAVAILABLE: "reader_unavailable"
        case SCARD_E_UNKNOWN_READER: "unknown_reader"
        case SCARD_E_TIMEOUT: "timeout"
        case SCARD_E_SHARING_VIOLATION: "sharing_violation"
        case SCARD_E_CANCELLED, SCARD_E_SYSTEM_CANCELLED: "cancelled"
        case SCARD_W_RESET_CARD: "card_reset"
        case SCARD_W_UNRESPONSIVE_CARD, SCARD_W_UNPOWERED_CARD: "card_unresponsive"
        case SCARD_W_UNSUPPORTED_CARD, SCARD_E_CARD_UNSUPPORTED, SCARD_E_UNKNOWN_CARD: "unsupported_card"
        case SCARD_E_PROTO_MISMATCH: "protocol_mismatch"
        case SCARD_W_SECURITY_VIOLATION: "access_denied"
        case SCARD_E_INVALID_HANDLE: "invalid_handle"
        case SCARD_E_NOT_TRANSACTED: "not_transacted"
        case SCARD_E_INSUFFICIENT_BUFFER: "insufficient_buffer"
        case SCARD_E_INVALID_PARAMETER, SCARD_E_INVALID_VALUE: "invalid_parameter"
        case SCARD_E_NO_MEMORY: "no_memory"
        default: "pcsc_error"
        }
    }

    /// True when pcscd itself is gone and the context must be established again.
    public var isServiceLost: Bool { code == "no_service" || code == "comm_error" }

    /// True when the card left the reader (or never was there).
    public var isCardGone: Bool { ["card_removed", "no_card", "reader_unavailable", "unknown_reader"].contains(code) }

    public var message: String {
        let hex = String(UInt32(truncatingIfNeeded: status), radix: 16, uppercase: true)
        let text: String =
            switch code {
            case "no_service": "pcscd is not running (start pcscd or pcscd.socket)"
            case "comm_error": "the connection to pcscd broke (pcscd stopped or crashed)"
            case "no_readers": "no card reader is connected"
            case "card_removed": "the card was removed from the reader"
            case "no_card": "there is no card in the reader"
            case "reader_unavailable": "the reader is not available (unplugged?)"
            case "unknown_reader": "no such reader"
            case "timeout": "the operation timed out"
            case "sharing_violation": "another program holds the card exclusively"
            case "cancelled": "the operation was cancelled"
            case "card_reset": "the card was reset by another program"
            case "card_unresponsive": "the card does not answer (hold it still on the reader)"
            case "unsupported_card": "the reader cannot talk to this card"
            case "protocol_mismatch": "the card does not speak the requested protocol"
            case "access_denied": "pcscd refused access (polkit: see README troubleshooting)"
            case "invalid_handle": "the card connection is no longer valid"
            default: "pcsc-lite error"
            }
        return "\(operation): \(text) (0x\(hex))"
    }
}
