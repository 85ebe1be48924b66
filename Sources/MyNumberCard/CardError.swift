import ErrorCodes
import ISO7816

/// Errors from the card-application layer, each with a stable code.
///
/// Messages name the PIN *kind* and counts, never a PIN value or personal data.
public enum CardError: CodedError, Equatable {
    /// The PIN breaks its format; nothing was sent to the card.
    case pinFormat(PINKind, String)
    /// The card refused the PIN; `triesLeft` tries remain.
    case wrongPIN(PINKind, triesLeft: Int)
    /// The PIN is blocked; it must be reset at the municipal office.
    case pinBlocked(PINKind)
    /// One try is left and the caller did not confirm it; nothing was sent to the card.
    case finalAttempt(PINKind)
    /// The PIN is not set or its file does not exist on this card.
    case pinNotAvailable(PINKind)
    /// The operation needs a PIN that was not verified.
    case pinRequired(String)
    /// The credential given does not open the data asked for (for example the card-text PIN A,
    /// which opens the my number but not the four attributes); nothing was sent to the card.
    case credentialCannotOpen(PINKind, String)
    /// This card does not carry the application.
    case applicationNotFound(CardApplication)
    /// A file the operation needs is missing.
    case fileNotFound(UInt16)
    /// The signature certificate was never issued (a child's card) or has been removed.
    case certificateNotIssued
    /// Not a card this layer can serve (no JPKI application or an unknown token).
    case unsupportedCard(String)
    /// The card answered a status word the operation cannot go on from.
    case unexpectedStatus(operation: String, StatusWord)
    /// The card's answer is not what the protocol allows.
    case malformedResponse(String)
    /// The digest does not fit the algorithm, or the input is unusable.
    case invalidDigest(String)
    /// The certificate bytes could not be parsed.
    case invalidCertificate(String)
    /// The card returned a signature that does not verify under its certificate.
    case invalidSignature
    /// CHANGE REFERENCE DATA did not answer `90 00` (nil: no answer). `oldPINStands` is true when
    /// the status shows nothing was written, nil when it cannot be told.
    case pinChangeFailed(PINKind, StatusWord?, oldPINStands: Bool?)
    /// The VERIFY (or other command carrying the PIN) went out, but no answer came back (`why`):
    /// a try may have been spent.
    case outcomeUnknown(PINKind, String)
    /// The PIN was accepted, but the caller gave up meanwhile (deadline, client gone): the
    /// operation stopped after the VERIFY and did nothing else.
    case stoppedAfterVerify(PINKind)

    public var code: ErrorCode {
        switch self {
        case .pinFormat: .pinFormat
        case .wrongPIN: .wrongPIN
        case .pinBlocked: .pinBlocked
        case .finalAttempt: .finalAttempt
        case .pinNotAvailable: .pinNotAvailable
        case .pinRequired: .pinRequired
        case .credentialCannotOpen: .credentialCannotOpen
        case .applicationNotFound: .applicationNotFound
        case .fileNotFound: .fileNotFound
        case .certificateNotIssued: .certificateNotIssued
        case .unsupportedCard: .unsupportedCard
        case .unexpectedStatus: .cardError
        case .malformedResponse: .malformedResponse
        case .invalidDigest: .invalidDigest
        case .invalidCertificate: .invalidCertificate
        case .invalidSignature: .cardError
        case .pinChangeFailed: .pinChangeFailed
        case .outcomeUnknown: .outcomeUnknown
        case .stoppedAfterVerify: .timeout
        }
    }

    public var message: String {
        switch self {
        case .pinFormat(let kind, let rule):
            "the \(kind.displayName) does not match its format: \(rule); nothing was sent to the card"
        case .wrongPIN(let kind, let left):
            kind.knownMaxTries.map { "wrong \(kind.displayName); \(left) of \($0) tries left" }
                ?? "wrong \(kind.displayName); \(left) tries left"
        case .pinBlocked(let kind):
            "the \(kind.displayName) is blocked; it must be reset at the municipal office"
        case .finalAttempt(let kind):
            "the \(kind.displayName) has one try left; a wrong PIN blocks it. Send confirmFinalAttempt: true to go on"
        case .pinNotAvailable(let kind):
            "the \(kind.displayName) is not set on this card"
        case .pinRequired(let what):
            "\(what) needs its PIN to be verified first"
        case .credentialCannotOpen(let kind, let what):
            "the \(kind.displayName) does not open \(what); nothing was sent to the card"
        case .applicationNotFound(let app):
            "the card has no \(app.displayName)"
        case .fileNotFound(let fid):
            "the card has no file \(fid.hex4)"
        case .certificateNotIssued:
            "the card carries no digital signature certificate (not issued)"
        case .unsupportedCard(let why):
            "unsupported card: \(why)"
        case .unexpectedStatus(let operation, let sw):
            "\(operation) failed with status \(sw)"
        case .malformedResponse(let why):
            "malformed card response: \(why)"
        case .invalidDigest(let why):
            "invalid digest: \(why)"
        case .invalidCertificate(let why):
            "invalid certificate: \(why)"
        case .invalidSignature:
            "the card returned a signature that does not verify under its certificate; it was not passed on"
        case .pinChangeFailed(let kind, let sw, let stands):
            "changing the \(kind.displayName) failed"
                + (sw.map { " with status \($0)" } ?? ": the card did not answer")
                + (stands == true
                    ? "; the current PIN still stands"
                    : "; whether the current or the new PIN is now in force is not known (nothing was retried)")
        case .outcomeUnknown(let kind, let why):
            "the \(kind.displayName) was sent, but the card's answer did not come (\(why)); a try may have been spent. Do not retry before the counter has been read again"
        case .stoppedAfterVerify(let kind):
            "the \(kind.displayName) was right (its counter is full again), but the request's time ran out; nothing else was done"
        }
    }
}

extension UInt16 {
    /// Four upper-case hex digits, e.g. `"000A"`.
    var hex4: String {
        let hex = String(self, radix: 16, uppercase: true)
        return String(repeating: "0", count: Swift.max(0, 4 - hex.count)) + hex
    }
}
