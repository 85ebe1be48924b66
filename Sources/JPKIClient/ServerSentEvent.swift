/// One event of a `text/event-stream`, as jpkid's `GET /v1/events` sends it.
public struct ServerSentEvent: Sendable, Equatable {
    /// The `event:` field; `message` when the event names none.
    public var type: String
    /// The `data:` lines, joined with "\n".
    public var data: String
    /// The last `id:` the stream gave, up to and including this event.
    public var id: String?

    public init(type: String = "message", data: String, id: String? = nil) {
        self.type = type
        self.data = data
        self.id = id
    }

    /// The event as a stream carries it: what the staff page's server relays to the browser.
    public var wireForm: String {
        var text = id.map { "id: \($0)\n" } ?? ""
        text += "event: \(type)\n"
        for line in data.split(separator: "\n", omittingEmptySubsequences: false) { text += "data: \(line)\n" }
        return text + "\n"
    }
}

/// What an event stream yields: events, and the comments jpkid sends to show it is alive.
public enum EventStreamItem: Sendable, Equatable {
    case event(ServerSentEvent)
    case keepAlive
}
