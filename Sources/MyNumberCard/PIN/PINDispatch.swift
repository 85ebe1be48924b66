/// The point of no return of a PIN operation: the moment a command carrying a PIN (VERIFY,
/// CHANGE REFERENCE DATA, a card-face code) is handed to the transport.
///
/// A caller that may give up (a deadline, a client that left) sets ``gate`` for the operation's
/// task. Right before the transmit, the card layer checks cancellation, then asks the gate; the
/// gate answers false when the caller has already given up, and the PIN is not sent. Once it
/// answered true, the caller must wait for the card's answer (and tell the client that answer,
/// never "busy" or "cancelled"): the check and the decision are one atomic step on the caller's
/// side, so no answer of "busy" can cross a PIN on its way.
public enum PINDispatch {
    @TaskLocal public static var gate: (@Sendable () -> Bool)?

    /// The last check before a PIN goes out.
    static func commit() throws {
        try Task.checkCancellation()
        if let gate, !gate() { throw CancellationError() }
    }
}
