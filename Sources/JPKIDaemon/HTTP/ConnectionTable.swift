import Synchronization

/// Counts open connections and event streams, in all and per user (the peer's uid from
/// `SO_PEERCRED`: a user forking many processes is still one user), so that no local user, root
/// and the kiosk app's included, can fill the table. The last `operatorReserved` slots are only
/// for operator-group members (and root), so an operator's PIN request and the staff page get
/// through a status member's flood.
final class ConnectionTable: Sendable {
    let limit: Int
    let perUser: Int
    let operatorReserved: Int
    let streamsPerUser: Int
    private let counts = Mutex<(total: Int, byUID: [UInt32: Int], streams: [UInt32: Int])>((0, [:], [:]))

    /// Why a connection or a stream was refused: the metric's `reason` label.
    enum Refusal: String, CaseIterable, Sendable {
        case tableFull = "table_full"
        case userCap = "user_cap"
        case reservedForOperators = "reserved_for_operators"
        case eventStreams = "event_streams"

        var message: String {
            switch self {
            case .tableFull: "jpkid has too many open connections; try again"
            case .userCap: "this user has too many open connections to jpkid; close some"
            case .reservedForOperators: "jpkid's remaining connections are kept for operators; try again"
            case .eventStreams: "this user has too many event streams open; close some"
            }
        }
    }

    init(limit: Int, perUser: Int, operatorReserved: Int = 0, streamsPerUser: Int = .max) {
        self.limit = limit
        self.perUser = perUser
        self.operatorReserved = min(operatorReserved, limit)
        self.streamsPerUser = streamsPerUser
    }

    /// Takes a slot for a connection from `uid`; the reason when the table, the user's share or
    /// the non-operators' share is full.
    func admit(_ uid: UInt32, isOperator: Bool) -> Refusal? {
        counts.withLock { c in
            guard c.total < limit else { return .tableFull }
            guard c.byUID[uid, default: 0] < perUser else { return .userCap }
            guard isOperator || c.total < limit - operatorReserved else { return .reservedForOperators }
            c.total += 1
            c.byUID[uid, default: 0] += 1
            return nil
        }
    }

    func release(_ uid: UInt32) {
        counts.withLock { c in
            c.total -= 1
            let left = c.byUID[uid, default: 1] - 1
            c.byUID[uid] = left > 0 ? left : nil
        }
    }

    /// Takes an event-stream slot for `uid` (on top of its connection's); false when the user
    /// has `streamsPerUser` open.
    func admitStream(_ uid: UInt32) -> Bool {
        counts.withLock { c in
            guard c.streams[uid, default: 0] < streamsPerUser else { return false }
            c.streams[uid, default: 0] += 1
            return true
        }
    }

    func releaseStream(_ uid: UInt32) {
        counts.withLock { c in
            let left = c.streams[uid, default: 1] - 1
            c.streams[uid] = left > 0 ? left : nil
        }
    }

    var open: Int { counts.withLock { $0.total } }
}
