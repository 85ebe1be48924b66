import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Bytes that must not outlive their use: a PIN, or a command that carries one.
///
/// The storage is allocated once and never copied by Swift's copy-on-write. ``wipe()``
/// overwrites it (`explicit_bzero`, which the compiler may not drop) and leaves no bytes; the
/// last reference going away does the same, so every copy of a value that holds a
/// `SecretBytes` shares one storage that is overwritten once nobody needs it. A wipe waits for a
/// reader in ``withBytes(_:)`` to finish (a queued pcsc-lite call may still be sending them).
///
/// Everything in jpkid that overwrites secret bytes goes through this file (``SecretBytes``,
/// `Array<UInt8>.wipe()`, `UnsafeMutableRawBufferPointer.wipe()`), and the HTTP servers'
/// ByteBuffer side calls `UnsafeMutableRawBufferPointer.wipe()`.
///
/// What is NOT wiped, and why:
/// - A `String` (the PIN in a decoded JSON request, on jpkictl's prompt, in the staff page's
///   form): Swift strings are immutable values with storage that cannot be reached to overwrite.
///   They live only as long as the request that carries them.
/// - Copies that copy-on-write made before a wipe: `Array<UInt8>.wipe()` overwrites the storage
///   the array holds alone; a second array sharing it gets a copy of its own first, and that
///   other array's storage is not touched. Wipe the array that is the only holder.
/// - Bytes outside the process: the kernel's socket buffers, pcscd and its reader driver, the
///   card. The daemon refuses core dumps and ptrace (`ProcessHardening`) for what is in memory.
/// - Registers and stack slots the compiler used while the bytes were read.
public final class SecretBytes: Sendable {
    private nonisolated(unsafe) let storage: UnsafeMutableBufferPointer<UInt8>
    /// How many bytes are still there: the count at first, 0 after ``wipe()``.
    private let live: Mutex<Int>

    /// Copies `bytes` into storage of its own. The caller wipes its own copy where it has one.
    public init(_ bytes: some Collection<UInt8>) {
        storage = .allocate(capacity: max(1, bytes.count))
        let written = storage.initialize(fromContentsOf: bytes)
        live = Mutex(written)
    }

    /// Takes `bytes` and wipes the array it came from.
    public convenience init(wiping bytes: inout [UInt8]) {
        self.init(bytes)
        bytes.wipe()
    }

    /// The number of bytes (0 once wiped).
    public var count: Int { live.withLock { $0 } }

    /// Lends the bytes to `body`; they must not escape it. A wipe waits until `body` returns.
    public func withBytes<T>(_ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T {
        var result: T?
        try live.withLock { count in
            result = try body(UnsafeBufferPointer(rebasing: storage[0..<count]))
        }
        return result!
    }

    /// Whether both hold the same bytes, compared in place (no copy of either is made).
    public func hasSameBytes(as other: SecretBytes) -> Bool {
        if other === self { return true }
        return withBytes { a in other.withBytes { b in a.elementsEqual(b) } }
    }

    /// Overwrites the bytes now; afterwards there are none. Wiping again does nothing more.
    public func wipe() {
        live.withLock { count in
            UnsafeMutableRawBufferPointer(storage).wipe()
            count = 0
        }
    }

    deinit {
        UnsafeMutableRawBufferPointer(storage).wipe()
        storage.deallocate()
    }
}

extension UnsafeMutableRawBufferPointer {
    /// Overwrites the bytes with zeros in a way the compiler may not drop as a dead store.
    public func wipe() {
        guard let base = baseAddress, count > 0 else { return }
        explicit_bzero(base, count)
    }
}

extension Array<UInt8> {
    /// Overwrites the bytes in place and empties the array (keeping its zeroed storage until the
    /// array goes). Call it on the only holder of the storage: see what is not wiped, above.
    public mutating func wipe() {
        withUnsafeMutableBytes { $0.wipe() }
        removeAll(keepingCapacity: true)
    }
}
