/// What the check after a PIN session's power cycle found (reference section 11).
///
/// A physical card keeps verified PINs across a warm reset; only a power-down clears them. After
/// the power cycle that ends every PIN session, two checks that spend nothing show whether the
/// reader really powered the card down:
/// - the selection check: SELECT of the PIN's EF without selecting its application first must
///   fail (a power-up leaves no application selected);
/// - the security check, where the PIN opens a readable file (``PINKind/protectedFile``): READ
///   BINARY of one byte of it must answer `69 82`. One byte is a tag, never personal data.
public enum PowerCycleCheck: Sendable, Equatable {
    /// The checks passed; `securityChecked` tells whether the security check ran (false for a PIN
    /// that protects no readable file: the reader's verdict from other sessions stands).
    case closed(securityChecked: Bool)
    /// The card kept its state across the power cycle: the reader does not power it down. The
    /// card has been power-cycled once more.
    case stateKept(String)
    /// The power cycle or a check could not be carried out (the card left, the reader failed);
    /// the transaction ended with a power-down of its own. Says nothing about the reader.
    case notChecked(String)

    public var readerUnsafe: Bool {
        if case .stateKept = self { return true }
        return false
    }
}
