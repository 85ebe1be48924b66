import FoundationEssentials
import Secrets

extension Data {
    /// Overwrites the bytes (a PIN may be among them) and empties it. Reaches this `Data`'s own
    /// storage only while nothing else shares it: a copy still held elsewhere is not wiped.
    mutating func wipe() {
        withUnsafeMutableBytes { $0.wipe() }
        removeAll()
    }
}
