import NIOHTTP1

/// The bounds a server puts on one request: its head (the request line and headers) and its body.
public struct RequestLimits: Sendable, Equatable {
    /// The most the request line with the headers may take, and any one header.
    public var headBytes: Int
    /// The most header fields a request may carry.
    public var headerCount: Int
    /// The most a body may take; more is refused (`413`).
    public var bodyBytes: Int

    public init(headBytes: Int, headerCount: Int, bodyBytes: Int) {
        self.headBytes = headBytes
        self.headerCount = headerCount
        self.bodyBytes = bodyBytes
    }

    /// The limits for NIO's request decoder: a longer head fails with `HTTPParserError.headerOverflow`.
    public var decoder: NIOHTTPDecoderLimitConfiguration {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = headBytes
        limits.maxHeaderListSize = headBytes
        limits.maxHeaderFieldCount = headerCount
        return limits
    }
}
