/// An ISO 7816-4 response APDU: response data followed by the two status bytes.
public struct ResponseAPDU: Sendable, Hashable {
    public let data: [UInt8]
    public let statusWord: StatusWord

    public init(data: [UInt8] = [], statusWord: StatusWord) {
        self.data = data
        self.statusWord = statusWord
    }

    /// Parses raw response bytes; fewer than two bytes is an error value, never a crash.
    public init(bytes: [UInt8]) throws(APDUError) {
        guard bytes.count >= 2 else { throw .responseTooShort(count: bytes.count) }
        self.data = Array(bytes.dropLast(2))
        self.statusWord = StatusWord(sw1: bytes[bytes.count - 2], sw2: bytes[bytes.count - 1])
    }

    /// Data followed by SW1 SW2.
    public var bytes: [UInt8] { data + [statusWord.sw1, statusWord.sw2] }
}
