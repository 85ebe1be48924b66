import FoundationEssentials
import NIOCore

/// The client for code on an event loop (the staff page's server relays to jpkid from its
/// channel handlers): the same requests, each run in a task of its own.
extension UnixHTTPClient {
    /// ``send(_:_:json:headers:)`` as a future. When `abandoned` completes first, the connection is
    /// closed (jpkid cancels the request) and the future fails with `cancelled`.
    public func response(
        _ method: String, _ path: String, json body: Data? = nil, headers: [(String, String)] = [],
        abandoned: EventLoopFuture<Void>? = nil
    ) -> EventLoopFuture<Response> {
        let promise = group.next().makePromise(of: Response.self)
        let task = Task {
            do {
                promise.succeed(try await send(method, path, json: body, headers: headers))
            } catch {
                promise.fail(error)
            }
        }
        abandoned?.whenComplete { _ in task.cancel() }
        return promise.futureResult
    }

    /// ``eventStream(_:headers:onOpen:onItem:)`` as parts: `onPart` runs for every part, the last
    /// one final (``EventStreamPart``). Cancel the task to end the stream early.
    @discardableResult
    public func eventStream(
        _ path: String, headers: [(String, String)] = [], onPart: @escaping @Sendable (EventStreamPart) -> Void
    ) -> Task<Void, Never> {
        Task {
            do throws(ClientError) {
                let refusal = try await eventStream(path, headers: headers, onOpen: { onPart(.opened) }) { item in
                    onPart(.item(item))
                    return true
                }
                onPart(refusal.map { .refused($0) } ?? .ended)
            } catch {
                onPart(.failed(error))
            }
        }
    }
}
