import ErrorCodes
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
    import Glibc
#endif

/// Why a request to jpkid got no usable answer: jpkid could not be reached, did not answer in
/// time, answered too much, or answered something that is not HTTP. An answer with an error
/// status is not a `ClientError`: it is a ``UnixHTTPClient/Response``.
public struct ClientError: CodedError {
    /// `.jpkidUnreachable`, `.timeout`, `.payloadTooLarge` or `.malformedResponse`.
    public let code: ErrorCode
    public let message: String

    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    static func cannotConnect(_ path: String, _ reason: String) -> ClientError {
        ClientError(.jpkidUnreachable, "cannot connect to jpkid at \(path): \(reason) (is jpkid running? see --socket)")
    }

    static func timedOut(_ what: String, _ limit: Duration) -> ClientError {
        let seconds = limit.components.seconds
        let shown = seconds > 0 ? "\(seconds) s" : "\(limit.components.attoseconds / 1_000_000_000_000_000) ms"
        return ClientError(.timeout, "jpkid did not \(what) within \(shown)")
    }

    static func tooLarge(_ what: String, _ limit: Int) -> ClientError {
        ClientError(.payloadTooLarge, "\(what) from jpkid exceeds \(limit) bytes")
    }

    static func malformed(_ what: String) -> ClientError {
        ClientError(.malformedResponse, "unexpected answer from jpkid: \(what)")
    }

    /// The error a failed connect, read or parse becomes.
    static func from(
        _ error: any Error, socketPath: String = "", connected: Bool = false, limits: ClientLimits
    ) -> ClientError {
        switch error {
        case let error as ClientError:
            return error
        case let error as IOError where connected:
            return ClientError(
                .jpkidUnreachable, "the connection to jpkid failed: \(String(cString: strerror(error.errnoCode)))")
        case let error as IOError:
            return .cannotConnect(socketPath, String(cString: strerror(error.errnoCode)))
        case SocketAddressError.unixDomainSocketPathTooLong:
            return .cannotConnect(socketPath, "the path is too long for a socket")
        case ChannelError.connectTimeout:
            return .timedOut("accept the connection", limits.connectTimeout)
        case HTTPParserError.headerOverflow:
            return .tooLarge("the answer's head", limits.maxHeaderBytes)
        case let error as HTTPParserError:
            return .malformed("\(error)")
        default:
            return connected ? .malformed("\(error)") : .cannotConnect(socketPath, "\(error)")
        }
    }
}
