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
    /// The caller's side of the decision. A class, not a bare closure: a task-local of function
    /// type crashed `swift_task_localValuePush` in the optimised build (Swift 6.3.1), at the
    /// first card read.
    public final class Gate: Sendable {
        private let decide: @Sendable () -> Bool

        /// `decide` answers whether the PIN may still go out, and must stay true once it said so.
        public init(_ decide: @escaping @Sendable () -> Bool) { self.decide = decide }

        func allows() -> Bool { decide() }
    }

    @TaskLocal public static var gate: Gate?

    /// The last check before a PIN goes out.
    static func commit() throws {
        try Task.checkCancellation()
        if let gate, !gate.allows() { throw CancellationError() }
    }
}
