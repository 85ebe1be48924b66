/// Parses a `text/event-stream` body incrementally, in whatever pieces the socket delivers it
/// (a line, a field or a CR LF may be split anywhere). Lines end in LF, CR LF or CR. One event,
/// with its comments, may take at most `maxEventBytes`; more is an error, not a bigger buffer.
public struct EventStreamParser: Sendable {
    public let maxEventBytes: Int
    private var line: [UInt8] = []
    /// Bytes of the event so far, its finished lines only.
    private var eventBytes = 0
    private var type: String?
    private var data: [String] = []
    private var lastEventID: String?
    private var afterCR = false
    private var atStart = true

    public init(maxEventBytes: Int) { self.maxEventBytes = maxEventBytes }

    /// Takes the next bytes of the body; returns the events and comments they complete.
    public mutating func feed(_ bytes: some Sequence<UInt8>) throws(ClientError) -> [EventStreamItem] {
        var items: [EventStreamItem] = []
        for byte in bytes {
            if afterCR {
                afterCR = false
                if byte == 0x0A { continue }
            }
            switch byte {
            case 0x0A, 0x0D:
                afterCR = byte == 0x0D
                if let item = try endLine() { items.append(item) }
            default:
                line.append(byte)
                guard eventBytes + line.count <= maxEventBytes else {
                    throw .tooLarge("an event", maxEventBytes)
                }
            }
        }
        return items
    }

    private mutating func endLine() throws(ClientError) -> EventStreamItem? {
        defer { line.removeAll(keepingCapacity: true) }
        if atStart {
            atStart = false
            if line.starts(with: [0xEF, 0xBB, 0xBF]) { line.removeFirst(3) }
        }
        guard !line.isEmpty else { return dispatch() }
        eventBytes += line.count + 1
        guard eventBytes <= maxEventBytes else { throw .tooLarge("an event", maxEventBytes) }
        if line[0] == UInt8(ascii: ":") { return .keepAlive }
        let colon = line.firstIndex(of: UInt8(ascii: ":"))
        let name = String(decoding: line[..<(colon ?? line.endIndex)], as: UTF8.self)
        var valueStart = colon.map { $0 + 1 } ?? line.endIndex
        if valueStart < line.endIndex, line[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
        let value = String(decoding: line[valueStart...], as: UTF8.self)
        switch name {
        case "event": type = value
        case "data": data.append(value)
        case "id" where !value.contains("\0"): lastEventID = value
        default: break  // `retry` and unknown fields
        }
        return nil
    }

    /// A blank line: the event so far, if it has data.
    private mutating func dispatch() -> EventStreamItem? {
        defer {
            type = nil
            data = []
            eventBytes = 0
        }
        guard !data.isEmpty else { return nil }
        let eventType = type.flatMap { $0.isEmpty ? nil : $0 } ?? "message"
        return .event(ServerSentEvent(type: eventType, data: data.joined(separator: "\n"), id: lastEventID))
    }
}
