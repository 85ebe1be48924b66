import FoundationEssentials
import Secrets

extension Data {
    /// Overwrites the bytes (a PIN may be among them) and empties it. A `Data` on the heap is
    /// overwritten in place even while another `Data` shares the storage (a copy-on-write copy
    /// would leave the original behind), so wipe only when every holder is done with it; a small
    /// `Data` kept inline is overwritten in this value.
    mutating func wipe() {
        // More than 14 bytes live on the heap (on 64-bit), where another Data may share them;
        // up to 14 live inline in this value, and `withUnsafeBytes` would lend a copy.
        if count > 14 { withUnsafeBytes { UnsafeMutableRawBufferPointer(mutating: $0).wipe() } }
        withUnsafeMutableBytes { $0.wipe() }
        removeAll()
    }
}
