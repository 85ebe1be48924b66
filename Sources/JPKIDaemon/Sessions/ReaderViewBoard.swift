import FoundationEssentials
import JPKIAPI
import Synchronization

/// The readers' views as `GET /v1/readers` serves them, kept up to date by the sessions.
///
/// A session posts its view whenever its state changes; the list is encoded once, on the first
/// request after a change, and served as the same bytes until the next one. A status request
/// therefore waits for no session actor and encodes nothing. Certificate views depend on the
/// day in Japan (status, days to expiry), so the board is stale once that day turns; the
/// handler then asks the sessions again (``isCurrent(at:)``).
public final class ReaderViewBoard: Sendable {
    private struct State {
        var order: [String] = []
        var views: [String: ReaderView] = [:]
        /// The Japan day every posted view was made on; nil when they differ or none was posted.
        var day: Int?
        var encoded: [UInt8]?
    }

    private let state = Mutex(State())

    public init() {}

    /// A reader joined: it takes the next place in the list.
    func add(_ view: ReaderView, madeAt date: Date) {
        state.withLock { s in
            if s.views[view.id] == nil { s.order.append(view.id) }
            Self.post(view, day: Self.japanDay(date), into: &s)
        }
    }

    /// A session's view changed. Ignored for a reader no longer on the board.
    func update(_ view: ReaderView, madeAt date: Date) {
        state.withLock { s in
            guard s.views[view.id] != nil else { return }
            Self.post(view, day: Self.japanDay(date), into: &s)
        }
    }

    func remove(id: String) {
        state.withLock { s in
            s.order.removeAll { $0 == id }
            s.views[id] = nil
            s.encoded = nil
            if s.views.isEmpty { s.day = nil }
        }
    }

    /// Replaces every view at once (the handler's refresh when the day turned).
    func replaceAll(_ views: [ReaderView], madeAt date: Date) {
        state.withLock { s in
            s.order = views.map(\.id)
            s.views = Dictionary(views.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
            s.day = Self.japanDay(date)
            s.encoded = nil
        }
    }

    /// Whether the posted views were made on the Japan day of `date` (or there are none).
    func isCurrent(at date: Date) -> Bool {
        state.withLock { s in s.views.isEmpty || s.day == Self.japanDay(date) }
    }

    /// `{"readers": [...]}` as JSON, encoded at most once per change.
    func listBody() -> [UInt8] {
        state.withLock { s in
            if let encoded = s.encoded { return encoded }
            let list = ReaderList(readers: s.order.compactMap { s.views[$0] })
            let bytes = ((try? APIJSON.encoder().encode(list)).map(Array.init) ?? Array("{}".utf8)) + [0x0A]
            s.encoded = bytes
            return bytes
        }
    }

    private static func post(_ view: ReaderView, day: Int, into s: inout State) {
        guard s.views[view.id] != view || s.day != day else { return }
        s.views[view.id] = view
        s.day = s.views.count == 1 || s.day == day ? day : nil
        s.encoded = nil
    }

    /// Days since 1970 in Japan time (UTC+9, no daylight saving).
    static func japanDay(_ date: Date) -> Int {
        Int(((date.timeIntervalSince1970 + 9 * 3600) / 86400).rounded(.down))
    }
}
