import FoundationEssentials
import Synchronization

/// Who may use the staff page, and how a browser gets a session (see ``StaffUIServer``).
///
/// - A **launch ticket** (random, single use, 60 s) is the only secret that leaves the server:
///   `jpkictl ui --open` gets it written into a 0600 file the browser opens, never into a URL
///   or a process's argv. The file posts it to `POST /session`, the only endpoint that takes
///   `Origin: null` (a `file:` page's origin).
/// - A **session** is two random values: a cookie (`HttpOnly`, `SameSite=Strict`) that lets
///   GET-only resources (the page, its assets, the state, the event stream) through, and a
///   CSRF token the page reads from its `<meta name="staff-token">` and sends in the
///   `X-Staff-Token` header. A state-changing request needs the cookie, that header and an
///   exact `Origin`: a cookie alone never authorises a POST (cookies ignore ports, so another
///   local user's page on 127.0.0.1 counts as same-site). A reload keeps the session.
/// - Every request must name this server as its `Host` (DNS rebinding).
public final class StaffUIAccess: Sendable {
    public let port: Int
    /// How long a launch ticket (and its file) lives.
    public let ticketLifetime: Duration
    static let maxSessions = 16
    static let maxTickets = 16

    struct Ticket {
        var secret: String
        var expires: ContinuousClock.Instant
    }

    struct Session {
        var cookie: String
        var csrf: String
    }

    private let state = Mutex<(tickets: [Ticket], sessions: [Session])>(([], []))

    public init(port: Int, ticketLifetime: Duration = .seconds(60)) {
        self.port = port
        self.ticketLifetime = ticketLifetime
    }

    /// The session cookie's name: one per server, so two servers (two users) on 127.0.0.1 do not
    /// overwrite each other's cookie.
    public var cookieName: String { "jpki_staff_\(port)" }

    /// `http://127.0.0.1:PORT`, the origin the page has.
    public var origin: String { "http://127.0.0.1:\(port)" }

    /// 32 random bytes in hex.
    public static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef")
        return String(
            (0..<32).flatMap { _ -> [Character] in
                let byte = UInt8.random(in: 0...255, using: &generator)
                return [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]
            })
    }

    // MARK: - Tickets and sessions

    /// A new launch ticket (the oldest is dropped beyond 16 unused ones).
    public func newTicket(now: ContinuousClock.Instant = .now) -> String {
        let secret = Self.randomToken()
        state.withLock { state in
            state.tickets.removeAll { $0.expires <= now }
            if state.tickets.count >= Self.maxTickets { state.tickets.removeFirst() }
            state.tickets.append(Ticket(secret: secret, expires: now + ticketLifetime))
        }
        return secret
    }

    /// Spends a ticket: a new session, or nil for an unknown, used or expired ticket.
    func redeem(_ given: String, now: ContinuousClock.Instant = .now) -> Session? {
        state.withLock { state in
            state.tickets.removeAll { $0.expires <= now }
            guard let index = state.tickets.firstIndex(where: { Self.constantTimeEqual($0.secret, given) }) else {
                return nil
            }
            state.tickets.remove(at: index)
            let session = Session(cookie: Self.randomToken(), csrf: Self.randomToken())
            if state.sessions.count >= Self.maxSessions { state.sessions.removeFirst() }
            state.sessions.append(session)
            return session
        }
    }

    /// The session whose cookie the request carries.
    func session(_ request: StaffUIRequest) -> Session? {
        guard let given = Self.cookie(named: cookieName, in: request.headers["cookie"]) else { return nil }
        return state.withLock { state in state.sessions.first { Self.constantTimeEqual($0.cookie, given) } }
    }

    /// A cookie's value from a `Cookie` header.
    static func cookie(named name: String, in header: String?) -> String? {
        guard let header else { return nil }
        for pair in header.split(separator: ";") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            if kv.count == 2, kv[0].trimmingSpaces == name { return kv[1].trimmingSpaces }
        }
        return nil
    }

    // MARK: - Checks

    public func hostAllowed(_ host: String?) -> Bool {
        guard let host else { return false }
        return host == "127.0.0.1:\(port)" || host.lowercased() == "localhost:\(port)"
    }

    /// What a request may do, before it is routed.
    enum Decision: Equatable {
        /// Served (the session, when it has one).
        case allowed
        /// `POST /session` with a ticket's form: the route redeems it.
        case launch
        case forbidden
    }

    func decide(_ request: StaffUIRequest) -> Decision {
        guard hostAllowed(request.headers["host"]) else { return .forbidden }
        let origin = request.headers["origin"]
        let exactOrigin = origin == "http://\(request.headers["host"] ?? "")"
        switch (request.method, request.path) {
        case ("GET", "/launch.js"):
            return .allowed
        case ("POST", "/session"):
            // The launcher file's form: Origin null (a file: page), or the page itself.
            guard origin == "null" || exactOrigin,
                request.headers["content-type"]?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true
            else { return .forbidden }
            return .launch
        case ("GET", _), ("HEAD", _):
            return session(request) == nil ? .forbidden : .allowed
        default:
            guard let session = session(request), exactOrigin,
                let given = request.headers["x-staff-token"], Self.constantTimeEqual(given, session.csrf),
                request.headers["content-type"]?.lowercased().hasPrefix("application/json") == true
            else { return .forbidden }
            return .allowed
        }
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let a = Array(a.utf8)
        let b = Array(b.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}
