import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

extension Data {
    /// Overwrites the bytes (a PIN may be among them) and empties it. Reaches this `Data`'s own
    /// storage only while nothing else shares it: a copy still held elsewhere is not wiped.
    mutating func wipe() {
        withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return }
            explicit_bzero(base, raw.count)
        }
        removeAll()
    }
}
