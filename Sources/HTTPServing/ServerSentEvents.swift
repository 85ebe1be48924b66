import NIOCore

/// The pieces of a `text/event-stream` (server-sent events) as bytes to write.
public enum ServerSentEvents {
    /// One event: `id:` (when given), `event:`, and one `data:` line per line of `data`.
    public static func event(id: String?, type: String, data: String) -> ByteBuffer {
        var text = id.map { "id: \($0)\n" } ?? ""
        text += "event: \(type)\n"
        for line in data.split(separator: "\n", omittingEmptySubsequences: false) { text += "data: \(line)\n" }
        return ByteBuffer(string: text + "\n")
    }

    /// A comment line (`: text`): a reader skips it; it shows the stream is alive.
    public static func comment(_ text: String) -> ByteBuffer {
        ByteBuffer(string: ": \(text)\n\n")
    }

    /// How long a browser waits before it reconnects.
    public static func retry(milliseconds: Int) -> ByteBuffer {
        ByteBuffer(string: "retry: \(milliseconds)\n\n")
    }
}
