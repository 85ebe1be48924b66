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
