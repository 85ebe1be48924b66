import JapaneseCalendar
import Secrets

/// A PIN whose format has been checked for its kind.
///
/// A `PIN` can only be made through ``init(_:for:)``, which enforces the card's format rules, so
/// a PIN that could never be right is refused before any APDU is sent. Its value never appears in
/// `description`, `debugDescription`, `dump` or string interpolation.
public struct PIN: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let kind: PINKind
    /// The ASCII bytes VERIFY carries, overwritten when the last copy of this PIN goes away.
    /// Internal: only the card layer sends them.
    let secret: SecretBytes

    /// A copy of the bytes, for building the VERIFY command (which wipes it after sending).
    var bytes: [UInt8] { secret.withBytes { Array($0) } }

    /// Checks `value` against the rules for `kind`; the sign PIN is upper-cased first. A birth
    /// date in the printed-data keys must be an era date not after `today`.
    /// Throws ``CardError/pinFormat(_:_:)`` without echoing the value.
    public init(_ value: String, for kind: PINKind, today: JapanDate = .today) throws(CardError) {
        // Only ASCII a-z is folded: a locale-aware uppercased() would turn "ß" into "SS".
        let scalars = value.unicodeScalars.map { s -> Unicode.Scalar in
            kind == .sign && ("a"..."z").contains(s) ? Unicode.Scalar(s.value - 32)! : s
        }
        func isDigit(_ s: Unicode.Scalar) -> Bool { ("0"..."9").contains(s) }
        func isUpper(_ s: Unicode.Scalar) -> Bool { ("A"..."Z").contains(s) }
        switch kind {
        case .auth, .cardText, .juki, .jukiAP:
            guard scalars.count == 4, scalars.allSatisfy(isDigit) else {
                throw .pinFormat(kind, kind.formatRule)
            }
        case .cardTextPINA, .cardFacePINA, .cardTextPINB, .cardFacePINB, .cardFaceBirthDate:
            guard Self.isPrintedDataPIN(scalars, kind, today: today) else { throw .pinFormat(kind, kind.formatRule) }
        case .sign:
            guard (6...16).contains(scalars.count),
                scalars.allSatisfy({ isDigit($0) || isUpper($0) }),
                scalars.contains(where: isDigit),
                scalars.contains(where: isUpper)
            else {
                throw .pinFormat(kind, kind.formatRule)
            }
        }
        self.kind = kind
        self.secret = SecretBytes(scalars.lazy.map { UInt8($0.value) })
    }

    public var description: String { "PIN(\(kind.rawValue), redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["kind": kind]) }
}

/// A PIN's retry state as read with the empty VERIFY, which never spends a try.
public struct PINStatus: Sendable, Equatable, Codable {
    public enum State: Sendable, Equatable, Codable {
        /// `63 Cx`: this many tries left.
        case remaining(Int)
        /// `63 C0` (what real cards answer to the empty VERIFY on a blocked key) or `69 84` (the
        /// answer to a VERIFY with data, and some cards' to the empty one): every attempt fails,
        /// even the right PIN.
        case blocked
        /// `90 00`: verified in the current security state; the counter is at its maximum.
        case verified
        /// The card has no such PIN (no application or no PIN file).
        case notAvailable
    }

    public let kind: PINKind
    public let state: State

    public init(kind: PINKind, state: State) {
        self.kind = kind
        self.state = state
    }

    public var maxTries: Int { kind.maxTries }
    /// The maximum where the card's kind of PIN has a known one (not PIN A or PIN B).
    public var knownMaxTries: Int? { kind.knownMaxTries }

    /// Tries left, where known.
    public var remaining: Int? {
        switch state {
        case .remaining(let n): n
        case .blocked: 0
        case .verified: kind.knownMaxTries
        case .notAvailable: nil
        }
    }

    public var isBlocked: Bool { state == .blocked }
    public var isVerified: Bool { state == .verified }
    /// True when one wrong try would block the PIN.
    public var isOnFinalAttempt: Bool { remaining == 1 }
}

/// The card's answer to a VERIFY that carried a PIN.
public enum VerifyOutcome: Sendable, Equatable {
    case verified
    case wrongPIN(triesLeft: Int)
    case blocked
}
