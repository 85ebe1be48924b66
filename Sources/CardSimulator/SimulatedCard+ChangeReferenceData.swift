import Foundation
import ISO7816

/// CHANGE REFERENCE DATA (reference 5b): `00 24 01 80 Lc <new PIN>` after the current PIN was
/// verified in the same security state.
extension SimulatedCard {
    /// The PINs this card lets a holder change, with the lengths a new value may have.
    static let changeablePINLengths: [UInt16: ClosedRange<Int>] = [
        0x0018: 4...4,  // auth
        0x001B: 6...16,  // sign
        0x0011: 4...4,  // card text
    ]

    /// `90 00` and a new digest (counter back to its maximum); `69 82` when the PIN is not
    /// verified; `67 00` for a new value of the wrong length; `69 84` when blocked; `69 85` for a PIN
    /// that cannot be changed here.
    static func changeReferenceData(_ c: CommandAPDU, _ s: inout State) -> [UInt8] {
        guard c.p1 == 0x01, c.p2 & 0x80 != 0 else { return StatusWord.incorrectParameters.bytes }
        guard let (app, fid, index) = namedPIN(c, s) else { return StatusWord.referencedDataNotFound.bytes }
        guard let lengths = changeablePINLengths[fid] else { return StatusWord.conditionsNotSatisfied.bytes }
        let record = s.image.applications[app].pins[index]
        if record.remaining == 0 { return StatusWord.referenceDataNotUsable.bytes }
        guard s.verified.contains(fid) else { return StatusWord.securityStatusNotSatisfied.bytes }
        guard lengths.contains(c.data.count) else { return StatusWord.wrongLength.bytes }
        // A fresh salted digest, as the card was built with (CardBuilder.pinRecord).
        guard let value = String(bytes: c.data, encoding: .ascii),
            let fresh = try? CardBuilder.pinRecord(fid, value, max: record.maxTries, left: record.maxTries)
        else { return StatusWord.incorrectData.bytes }
        s.image.applications[app].pins[index] = fresh
        return StatusWord.success.bytes
    }
}
