/// A stable, machine-readable error code: the one set shared by every layer, the API, the CLI
/// and the logs.
///
/// Codes are compared as values (`error.code == .pinBlocked`), never as strings. The wire form
/// is the snake_case `rawValue` (`"pin_blocked"`). A code this build does not know (from a newer
/// daemon) still decodes, and compares unequal to every known one.
public struct ErrorCode: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }
}

// MARK: PINs

extension ErrorCode {
    /// The PIN does not match its format; nothing was sent to the card.
    public static let pinFormat = ErrorCode(rawValue: "pin_format")
    /// The card refused the PIN; `remaining` tries are left.
    public static let wrongPIN = ErrorCode(rawValue: "wrong_pin")
    /// The PIN is blocked; only the municipal office can reset it.
    public static let pinBlocked = ErrorCode(rawValue: "pin_blocked")
    /// One try is left and the caller did not confirm spending it.
    public static let finalAttempt = ErrorCode(rawValue: "final_attempt")
    /// The card has no such PIN.
    public static let pinNotAvailable = ErrorCode(rawValue: "pin_not_available")
    /// The operation needs a verified PIN first.
    public static let pinRequired = ErrorCode(rawValue: "pin_required")
    /// The credential given cannot open the data asked for; nothing was sent to the card.
    public static let credentialCannotOpen = ErrorCode(rawValue: "credential_cannot_open")
    /// CHANGE REFERENCE DATA failed.
    public static let pinChangeFailed = ErrorCode(rawValue: "pin_change_failed")
    /// A command carrying the PIN went out, but its answer could not be had (the card or reader
    /// did not answer in time, or the card left): a try may have been spent. Never retry on it;
    /// the counter follows in an event once it can be read.
    public static let outcomeUnknown = ErrorCode(rawValue: "outcome_unknown")
}

// MARK: The card and its applications

extension ErrorCode {
    public static let applicationNotFound = ErrorCode(rawValue: "application_not_found")
    public static let fileNotFound = ErrorCode(rawValue: "file_not_found")
    public static let certificateNotIssued = ErrorCode(rawValue: "certificate_not_issued")
    public static let unsupportedCard = ErrorCode(rawValue: "unsupported_card")
    /// The card answered a status word the operation does not expect (or a bad signature).
    public static let cardError = ErrorCode(rawValue: "card_error")
    public static let malformedResponse = ErrorCode(rawValue: "malformed_response")
    public static let invalidDigest = ErrorCode(rawValue: "invalid_digest")
    public static let invalidCertificate = ErrorCode(rawValue: "invalid_certificate")
    public static let malformedAPDU = ErrorCode(rawValue: "malformed_apdu")
    public static let malformedTLV = ErrorCode(rawValue: "malformed_tlv")
}

// MARK: Readers and PC/SC

extension ErrorCode {
    public static let noService = ErrorCode(rawValue: "no_service")
    public static let commError = ErrorCode(rawValue: "comm_error")
    public static let noReaders = ErrorCode(rawValue: "no_readers")
    public static let cardRemoved = ErrorCode(rawValue: "card_removed")
    public static let noCard = ErrorCode(rawValue: "no_card")
    public static let readerUnavailable = ErrorCode(rawValue: "reader_unavailable")
    public static let unknownReader = ErrorCode(rawValue: "unknown_reader")
    public static let timeout = ErrorCode(rawValue: "timeout")
    public static let sharingViolation = ErrorCode(rawValue: "sharing_violation")
    public static let cancelled = ErrorCode(rawValue: "cancelled")
    public static let cardReset = ErrorCode(rawValue: "card_reset")
    public static let cardUnresponsive = ErrorCode(rawValue: "card_unresponsive")
    public static let protocolMismatch = ErrorCode(rawValue: "protocol_mismatch")
    public static let accessDenied = ErrorCode(rawValue: "access_denied")
    public static let invalidHandle = ErrorCode(rawValue: "invalid_handle")
    public static let notTransacted = ErrorCode(rawValue: "not_transacted")
    public static let insufficientBuffer = ErrorCode(rawValue: "insufficient_buffer")
    public static let invalidParameter = ErrorCode(rawValue: "invalid_parameter")
    public static let noMemory = ErrorCode(rawValue: "no_memory")
    public static let pcscError = ErrorCode(rawValue: "pcsc_error")
    /// pcscd is not reachable (the API's form of `no_service` / `comm_error`).
    public static let pcscUnavailable = ErrorCode(rawValue: "pcsc_unavailable")
    /// Another program holds the card, or it does not answer in time.
    public static let cardBusy = ErrorCode(rawValue: "card_busy")
    /// The reader does not really power the card down (a PIN stayed verified across a power
    /// cycle): PIN operations on it are refused until it is unplugged or jpkid restarts.
    public static let readerUnsafe = ErrorCode(rawValue: "reader_unsafe")
}

// MARK: The API

extension ErrorCode {
    public static let badRequest = ErrorCode(rawValue: "bad_request")
    public static let notFound = ErrorCode(rawValue: "not_found")
    public static let methodNotAllowed = ErrorCode(rawValue: "method_not_allowed")
    public static let forbidden = ErrorCode(rawValue: "forbidden")
    public static let payloadTooLarge = ErrorCode(rawValue: "payload_too_large")
    public static let tooManyConnections = ErrorCode(rawValue: "too_many_connections")
    public static let ambiguousCard = ErrorCode(rawValue: "ambiguous_card")
    public static let cardNotReady = ErrorCode(rawValue: "card_not_ready")
    /// The card in the reader is not the one the request names (`cardId`).
    public static let cardChanged = ErrorCode(rawValue: "card_changed")
    public static let certificateNotFound = ErrorCode(rawValue: "certificate_not_found")
    public static let internalError = ErrorCode(rawValue: "internal_error")
}

// MARK: Clients and tools

extension ErrorCode {
    /// A client could not reach jpkid's socket.
    public static let jpkidUnreachable = ErrorCode(rawValue: "jpkid_unreachable")
}

// The simulated card's own codes (`sim_*`, `vpcd_error`) are not part of this set: the API, jpkid
// and its clients never see them. CardSimulator declares them beside its errors.
