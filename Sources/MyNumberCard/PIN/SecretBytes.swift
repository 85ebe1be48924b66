#if canImport(Glibc)
    import Glibc
#endif

/// Bytes that must not outlive their use: a PIN. The storage is allocated once, never copied by
/// Swift's copy-on-write, and overwritten (`explicit_bzero`, which the compiler may not drop)
/// when the last reference goes away.
final class SecretBytes: Sendable {
    private nonisolated(unsafe) let storage: UnsafeMutableBufferPointer<UInt8>

    init(_ bytes: some Collection<UInt8>) {
        storage = .allocate(capacity: max(1, bytes.count))
        _ = storage.initialize(from: bytes)
        count = bytes.count
    }

    let count: Int

    /// Lends the bytes to `body`; they must not escape it.
    func withBytes<T>(_ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T {
        try body(UnsafeBufferPointer(rebasing: storage[0..<count]))
    }

    deinit {
        explicit_bzero(storage.baseAddress!, storage.count)
        storage.deallocate()
    }
}
