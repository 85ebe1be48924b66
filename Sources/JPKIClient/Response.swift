import FoundationEssentials
import NIOCore
import NIOHTTP1

extension UnixHTTPClient {
    /// jpkid's answer: any status, the whole body.
    public struct Response: Sendable {
        public let status: Int
        /// Lower-cased names; of a repeated field, the last (as the hand-written client did: jpkid
        /// sends `cache-control: no-store` twice on card data).
        public let headers: [String: String]
        public let body: Data

        public init(status: Int, headers: [String: String], body: Data) {
            self.status = status
            self.headers = headers
            self.body = body
        }

        init(_ head: HTTPResponseHead, body: Data) {
            status = Int(head.status.code)
            headers = Dictionary(head.headers.map { ($0.name.lowercased(), $0.value) }) { $1 }
            self.body = body
        }

        /// The answer whose head came: its body up to ``ClientLimits/maxBodyBytes``, to its end.
        static func reading(
            _ head: HTTPResponseHead, from parts: inout ClientChannel.Inbound.AsyncIterator, limits: ClientLimits
        ) async throws -> Response {
            var body = ByteBuffer()
            while let part = try await parts.next() {
                switch part {
                case .body(var chunk):
                    guard body.readableBytes + chunk.readableBytes <= limits.maxBodyBytes else {
                        throw ClientError.tooLarge("the answer", limits.maxBodyBytes)
                    }
                    body.writeBuffer(&chunk)
                case .end:
                    return Response(head, body: Data(body.readableBytesView))
                case .head:
                    throw ClientError.malformed("a second status line")
                }
            }
            throw ClientError.malformed("the answer ended early")
        }
    }
}
