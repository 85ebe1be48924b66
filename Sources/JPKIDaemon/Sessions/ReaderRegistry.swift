import ErrorCodes
import FoundationEssentials
import JPKIAPI
import Logging
import MyNumberCard
import PCSC

/// All readers the daemon knows, fed by a ``CardSource``'s events.
///
/// Events are handled one at a time, in the order the source reports them, so a reader's
/// removal can never be overtaken by its earlier insertion. No handler waits for a card: a
/// session starts its read in the background and closes connections in the background, so one
/// stuck reader never delays another reader's events.
public actor ReaderRegistry {
    private let source: any CardSource
    private let events: EventBus
    private let logger: Logger
    private let cardTimeout: Duration
    private var sessions: [String: ReaderSession] = [:]
    private var order: [String] = []
    private(set) var pcscAvailable = true
    private let validator: ChainValidator
    private let cvcAuthorities: CVCAuthorities
    /// Every reader's current view, for `GET /v1/readers` without an actor hop.
    public nonisolated let board = ReaderViewBoard()
    let metrics: DaemonMetrics

    public init(
        source: any CardSource, events: EventBus, logger: Logger, validator: ChainValidator = .init(anchors: .none),
        cardTimeout: Duration = .seconds(10), metrics: DaemonMetrics = DaemonMetrics(),
        cvcAuthorities: CVCAuthorities = .builtIn
    ) {
        self.cvcAuthorities = cvcAuthorities
        self.metrics = metrics
        self.source = source
        self.events = events
        self.logger = logger
        self.validator = validator
        self.cardTimeout = cardTimeout
    }

    /// Consumes reader events until cancelled.
    public func run() async {
        for await event in source.events() {
            await handle(event)
        }
    }

    func handle(_ event: ReaderEvent) async {
        switch event {
        case .readerAdded(let name):
            guard sessions[name] == nil else { return }
            let session = ReaderSession(
                name: name, source: source, events: events, logger: logger, validator: validator,
                cardTimeout: cardTimeout, board: board, metrics: metrics, cvcAuthorities: cvcAuthorities)
            sessions[name] = session
            order.append(name)
            let now = Date()
            board.add(await session.view(now: now), from: ObjectIdentifier(session), madeAt: now)
            metrics.readersPresent(sessions.count)
            events.publish(EventView(type: "reader-added", reader: session.id, readerName: name))
            logger.info("reader added", metadata: ["reader": "\(session.id)", "name": "\(name)"])
        case .readerRemoved(let name):
            guard let session = sessions.removeValue(forKey: name) else { return }
            order.removeAll { $0 == name }
            board.remove(id: session.id)
            metrics.readersPresent(sessions.count)
            // An unplugged reader takes its unsafe mark with it.
            metrics.readersUnsafe(board.count { $0.unsafe != nil })
            await session.readerRemoved()
            events.publish(EventView(type: "reader-removed", reader: session.id, readerName: name))
            logger.info("reader removed", metadata: ["reader": "\(session.id)"])
        case .cardInserted(let name, let atr):
            // The session reads in the background: the registry keeps taking events meanwhile.
            await sessions[name]?.cardInserted(atr: atr)
        case .cardRemoved(let name):
            await sessions[name]?.cardRemoved()
        case .readerUnavailable(let name):
            logger.warning("reader unavailable", metadata: ["reader": "\(ReaderSession.id(for: name))"])
        case .pcscUnavailable(let code):
            pcscAvailable = false
            metrics.pcsc(available: false)
            events.publish(EventView(type: "pcsc-unavailable"))
            logger.error("pcscd unavailable", metadata: ["code": "\(code)"])
        case .pcscRestored:
            pcscAvailable = true
            metrics.pcsc(available: true)
            events.publish(EventView(type: "pcsc-restored"))
            logger.notice("pcscd available again")
        }
    }

    public var readerCount: Int { sessions.count }

    public func allSessions() -> [ReaderSession] { order.compactMap { sessions[$0] } }

    public func session(id: String) throws -> ReaderSession {
        guard let session = sessions.values.first(where: { $0.id == id }) else {
            throw APIError(.unknownReader, "no reader with id '\(APIHandler.quote(id))'", status: .notFound)
        }
        return session
    }

    /// The one reader holding a card (the kiosk case behind `/v1/card/...`).
    public func soleCardSession() async throws -> ReaderSession {
        var holding: [ReaderSession] = []
        for session in allSessions() where await session.hasCard { holding.append(session) }
        guard holding.count <= 1 else {
            throw APIError(
                .ambiguousCard, "\(holding.count) readers hold a card; use /v1/readers/{id}", status: .conflict)
        }
        guard let session = holding.first else { throw APIError.noCard }
        return session
    }
}
