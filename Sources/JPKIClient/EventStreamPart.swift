import Synchronization

/// What an event stream connection reports, in order: `opened` and items, then one final part
/// (`refused`, `ended` or `failed`) and nothing after it.
public enum EventStreamPart: Sendable {
    /// jpkid accepted the stream: every event from now on is delivered.
    case opened
    case item(EventStreamItem)
    /// jpkid answered with another status than 200.
    case refused(UnixHTTPClient.Response)
    /// jpkid ended the stream.
    case ended
    case failed(ClientError)

    var isFinal: Bool {
        switch self {
        case .opened, .item: false
        case .refused, .ended, .failed: true
        }
    }
}

/// Where ``EventStreamHandler`` puts what it parses.
protocol EventStreamSink: Sendable {
    /// Adds parts; nothing after a final one.
    func push(_ parts: [EventStreamPart])
    /// Whether the event loop may read more now.
    func wantsMore() -> Bool
}

extension EventStreamSink {
    func push(_ part: EventStreamPart) { push([part]) }
}

/// Hands each part to a callback on the event loop, which keeps up by itself (it is never
/// paused: a relay closes a peer that cannot take more).
final class CallbackSink: EventStreamSink {
    private let finished = Mutex(false)
    private let onPart: @Sendable (EventStreamPart) -> Void

    init(_ onPart: @escaping @Sendable (EventStreamPart) -> Void) { self.onPart = onPart }

    func push(_ parts: [EventStreamPart]) {
        for part in parts {
            let open = finished.withLock { finished in
                defer { finished = finished || part.isFinal }
                return !finished
            }
            if open { onPart(part) }
        }
    }

    func wantsMore() -> Bool { true }
}
