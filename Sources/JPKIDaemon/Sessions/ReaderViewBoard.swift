import FoundationEssentials
import JPKIAPI
import JapaneseCalendar
import Synchronization

/// The readers' views as `GET /v1/readers` serves them, kept up to date by the sessions.
///
/// A session posts its view whenever its state changes; the list is encoded once, on the first
/// request after a change, and served as the same bytes until the next one. A status request
/// therefore waits for no session actor and encodes nothing. Certificate views depend on the
/// day in Japan (status, days to expiry), so a view is stale once that day turns; the handler
/// then has the sessions post again (``isCurrent(at:)``).
public final class ReaderViewBoard: Sendable {
    private struct Entry {
        var view: ReaderView
        /// The session that posts it: a late post of a session already removed (a reader
        /// unplugged and plugged in again has the same id) is ignored.
        var owner: ObjectIdentifier
        /// The Japan day the view was made on.
        var day: Int
    }

    private struct State {
        var order: [String] = []
        var entries: [String: Entry] = [:]
        var encoded: [UInt8]?
    }

    private let state = Mutex(State())

    public init() {}

    /// A reader joined (its session is `owner`): it takes the next place in the list.
    func add(_ view: ReaderView, from owner: ObjectIdentifier, madeAt date: Date) {
        state.withLock { s in
            if s.entries[view.id] == nil { s.order.append(view.id) }
            s.entries[view.id] = Entry(view: view, owner: owner, day: JapanDate.dayNumber(date))
            s.encoded = nil
        }
    }

    /// A session's view changed. Ignored unless `owner` is the session on the board for it.
    func update(_ view: ReaderView, from owner: ObjectIdentifier, madeAt date: Date) {
        state.withLock { s in
            guard let entry = s.entries[view.id], entry.owner == owner else { return }
            let day = JapanDate.dayNumber(date)
            guard entry.view != view || entry.day != day else { return }
            s.entries[view.id] = Entry(view: view, owner: owner, day: day)
            s.encoded = nil
        }
    }

    func remove(id: String) {
        state.withLock { s in
            s.order.removeAll { $0 == id }
            s.entries[id] = nil
            s.encoded = nil
        }
    }

    /// How many posted views satisfy `predicate`.
    func count(where predicate: (ReaderView) -> Bool) -> Int {
        state.withLock { s in s.entries.values.count { predicate($0.view) } }
    }

    /// Whether every posted view was made on the Japan day of `date` (true when there are none).
    func isCurrent(at date: Date) -> Bool {
        let today = JapanDate.dayNumber(date)
        return state.withLock { s in s.entries.values.allSatisfy { $0.day == today } }
    }

    /// `{"readers": [...]}` as JSON, encoded at most once per change.
    func listBody() -> [UInt8] {
        state.withLock { s in
            if let encoded = s.encoded { return encoded }
            let list = ReaderList(readers: s.order.compactMap { s.entries[$0]?.view })
            let bytes = ((try? APIJSON.encoder().encode(list)).map(Array.init) ?? Array("{}".utf8)) + [0x0A]
            s.encoded = bytes
            return bytes
        }
    }
}
