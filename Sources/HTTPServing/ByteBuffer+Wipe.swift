import NIOCore
import Secrets

extension ByteBuffer {
    /// Overwrites the whole storage (`Secrets`' wipe) (a PIN may be among them) and empties the buffer.
    ///
    /// The bytes are overwritten in this buffer's storage only when no other `ByteBuffer` shares
    /// it; a copy that shares the storage (a slice, a buffer read out of it) makes the write go to
    /// a fresh copy instead, leaving the old bytes to the allocator. So: hand a body on by moving
    /// it, and wipe the last holder. Bytes NIO read from the socket into its own receive buffer
    /// before decoding are not reached from here.
    public mutating func wipe() {
        withVeryUnsafeMutableBytes { $0.wipe() }
        clear()
    }
}
