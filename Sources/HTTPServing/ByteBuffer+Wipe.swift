import NIOCore
import Secrets

extension ByteBuffer {
    /// Overwrites this buffer's whole storage (`Secrets`' wipe: a PIN may be in it) and empties
    /// the buffer.
    ///
    /// The storage is overwritten in place even when other `ByteBuffer`s share it (the enum a
    /// body came in, a slice): a copy-on-write copy would leave the original bytes to the
    /// allocator. Those other buffers read zeros afterwards, so wipe only when every holder is
    /// done with the bytes. Bytes NIO read from the socket into its own receive buffer before
    /// decoding, and storage a growing buffer left behind, are not reached from here.
    public mutating func wipe() {
        withVeryUnsafeBytes { UnsafeMutableRawBufferPointer(mutating: $0).wipe() }
        clear()
    }
}
