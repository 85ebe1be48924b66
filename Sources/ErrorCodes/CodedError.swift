/// An error that carries a stable, machine-readable code.
///
/// The same `code` strings (`pin_blocked`, `card_removed`, ...) appear in the API, the CLI and
/// the logs. `message` is for people and never contains a PIN or personal data.
public protocol CodedError: Error, CustomStringConvertible, Sendable {
    /// A stable code from the one shared set, e.g. `.cardRemoved` (`"card_removed"` on the wire).
    var code: ErrorCode { get }
    /// A human-readable explanation. Never contains secrets.
    var message: String { get }
}

extension CodedError {
    public var description: String { "\(code): \(message)" }
}
