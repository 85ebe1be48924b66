import ArgumentParser
import ErrorCodes

/// Exit codes, documented in docs/jpkictl.md.
enum Exit: Int32 {
    case ok = 0
    case failure = 1
    case unreachable = 2
    case forbidden = 3
    case noCard = 4
    case wrongPIN = 5
    case pinBlocked = 6
    case finalAttempt = 7
    case badInput = 8
    case notVerified = 9
    case attentionNeeded = 10

    static func forCode(_ code: ErrorCode?) -> Exit {
        switch code {
        case .forbidden: .forbidden
        case .noCard, .unknownReader, .cardRemoved, .ambiguousCard, .cardNotReady, .cardChanged: .noCard
        case .wrongPIN: .wrongPIN
        case .pinBlocked: .pinBlocked
        case .finalAttempt: .finalAttempt
        case .pinFormat, .badRequest, .invalidDigest, .credentialCannotOpen: .badInput
        default: .failure
        }
    }

    /// Ends the command with this code.
    var code: ExitCode { ExitCode(rawValue) }
}
