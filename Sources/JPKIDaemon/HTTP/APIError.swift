import ErrorCodes
import ISO7816
import JPKIAPI
import MyNumberCard
import NIOHTTP1
import PCSC

/// An error as the API returns it: a stable code, an HTTP status, a message without secrets.
public struct APIError: CodedError, Equatable {
    public let code: ErrorCode
    public let message: String
    public let status: HTTPResponseStatus
    /// Tries left, for `wrong_pin` and `final_attempt`.
    public let remaining: Int?
    /// The methods the path takes, for `method_not_allowed` (the `Allow` header).
    public var allowedMethods: [HTTPMethod] = []
    /// Set when this operation's power-cycle check found the reader unsafe.
    public var readerUnsafe: Bool?

    public init(_ code: ErrorCode, _ message: String, status: HTTPResponseStatus, remaining: Int? = nil) {
        self.code = code
        self.message = message
        self.status = status
        self.remaining = remaining
    }

    public var detail: ErrorDetail {
        ErrorDetail(code: code, message: message, remaining: remaining, readerUnsafe: readerUnsafe)
    }

    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, message, status: .badRequest) }
    static func notFound(_ message: String) -> APIError { APIError(.notFound, message, status: .notFound) }
    static let forbidden = APIError(.forbidden, "this user may not make this request", status: .forbidden)
    public static let noCard = APIError(.noCard, "there is no card in the reader", status: .conflict)
    static let cardBusy = APIError(
        .cardBusy, "the card is busy (another program holds it, or it does not answer); try again",
        status: .serviceUnavailable)
    static let readerUnsafe = APIError(
        .readerUnsafe,
        "this reader does not power the card down, so a PIN could stay verified for other programs; PIN operations on it are refused until it is unplugged or jpkid restarts. Use another reader",
        status: .conflict)
    /// A command carrying the PIN went out, and its answer could not be waited for any longer.
    static func outcomeUnknown(_ kind: PINKind) -> APIError {
        APIError.from(CardError.outcomeUnknown(kind, "no answer within the card timeout"))
    }
    static let cardChanged = APIError(
        .cardChanged, "the card in the reader is not the one this request names (cardId); nothing was sent to it",
        status: .conflict)

    /// Maps an error from any layer to its API form.
    public static func from(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as CardError:
            let status: HTTPResponseStatus =
                switch error {
                case .pinFormat, .invalidDigest, .credentialCannotOpen: .unprocessableEntity
                case .wrongPIN: .unauthorized
                case .pinBlocked: .locked
                case .pinNotAvailable, .pinRequired, .unsupportedCard, .applicationNotFound, .finalAttempt: .conflict
                case .certificateNotIssued, .fileNotFound: .notFound
                case .unexpectedStatus, .malformedResponse, .invalidCertificate, .pinChangeFailed: .badGateway
                case .invalidSignature: .badGateway
                case .outcomeUnknown, .stoppedAfterVerify: .gatewayTimeout
                }
            var remaining: Int?
            if case .wrongPIN(_, let left) = error { remaining = left }
            if case .finalAttempt = error { remaining = 1 }
            return APIError(error.code, error.message, status: status, remaining: remaining)
        case let error as PCSCError:
            if error.isServiceLost {
                return APIError(.pcscUnavailable, error.message, status: .serviceUnavailable)
            }
            let status: HTTPResponseStatus =
                switch error.code {
                case .cardRemoved, .noCard, .cardReset, .invalidHandle: .conflict
                case .timeout, .cardUnresponsive: .gatewayTimeout
                case .sharingViolation: .conflict
                default: .badGateway
                }
            return APIError(error.code == .invalidHandle ? .cardRemoved : error.code, error.message, status: status)
        case let error as PCSCTimeout:
            return APIError(
                error.code, error.message, status: error.code == .cardBusy ? .serviceUnavailable : .gatewayTimeout)
        case is CancellationError:
            return APIError(.cancelled, "the request was cancelled before it reached the card", status: .conflict)
        case let error as any CodedError:
            let status: HTTPResponseStatus = error.code == .cardRemoved ? .conflict : .badGateway
            return APIError(error.code, error.message, status: status)
        default:
            return APIError(.internalError, "internal error", status: .internalServerError)
        }
    }
}
