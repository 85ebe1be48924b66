import NIOCore
import NIOHTTP1

/// Every wait and buffer of a ``UnixHTTPClient``. The defaults suit jpkid: it answers every
/// request within its card timeout and comments on an event stream every 15 s.
public struct ClientLimits: Sendable {
    /// Until jpkid accepts the connection.
    public var connectTimeout: Duration = .seconds(5)
    /// The longest silence while waiting for an answer (each read, not the whole answer).
    public var readTimeout: Duration = .seconds(30)
    /// The whole answer to a request, from connecting to its last byte.
    public var requestDeadline: Duration = .seconds(120)
    /// The longest silence on an event stream: jpkid comments every 15 s, so more means it is gone.
    public var eventReadTimeout: Duration = .seconds(40)
    /// The status line and headers of an answer.
    public var maxHeaderBytes = 16 * 1024
    /// The body of an answer (a card face with its photo is well under this).
    public var maxBodyBytes = 4 * 1024 * 1024
    /// One server-sent event, with its comments and field names.
    public var maxEventBytes = 64 * 1024
    /// Events read ahead of the caller before the client stops reading from the socket.
    public var maxQueuedEvents = 64

    public init() {}

    public static let `default` = ClientLimits()

    var decoderLimits: NIOHTTPDecoderLimitConfiguration {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = maxHeaderBytes
        limits.maxHeaderListSize = maxHeaderBytes
        limits.maxHeaderFieldCount = 64
        return limits
    }
}
