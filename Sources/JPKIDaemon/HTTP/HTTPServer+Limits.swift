import HTTPServing

extension HTTPServer {
    /// The bounds the server keeps.
    public struct Limits: Sendable, Equatable {
        public var maxConnections = 256
        /// Connections one user (uid, from `SO_PEERCRED`) may hold at once, in all its processes.
        public var maxConnectionsPerUser = 32
        /// Slots of `maxConnections` only operator-group members and root may take.
        public var operatorReservedConnections = 32
        /// Event streams one user may hold at once.
        public var maxEventStreamsPerUser = 8
        public var bodyBytes = 64 * 1024
        /// A request must have arrived this long after its first byte.
        public var headerTimeout: Duration = .seconds(10)
        /// A keep-alive connection with no request is closed after this long.
        public var idleTimeout: Duration = .seconds(60)
        public var maxHeaderCount = 64
        public var maxHeaderBytes = 16 * 1024
        /// A running request may finish for this long after SIGTERM.
        public var shutdownGrace: Duration = .seconds(5)
        /// An event-stream write the client does not take in this long closes the stream.
        public var eventWriteTimeout: Duration = .seconds(10)
        public var eventKeepAlive: Duration = .seconds(15)

        public init() {}

        /// The request bounds as the shared HTTP code takes them.
        var request: RequestLimits {
            RequestLimits(headBytes: maxHeaderBytes, headerCount: maxHeaderCount, bodyBytes: bodyBytes)
        }
    }
}
