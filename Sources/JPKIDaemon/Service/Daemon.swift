import FoundationEssentials
import JPKIAPI
import Logging
import MyNumberCard
import OneShot
import ServiceLifecycle
import Synchronization
import UnixSignals

#if canImport(Glibc)
    import Glibc
#endif

/// jpkid as a service: the reader registry fed by a card source, the socket API, systemd
/// notifications, and configuration reload on SIGHUP.
public final class Daemon: Service, Sendable {
    let source: any CardSource
    let binding: HTTPServer.Binding
    let configurationPath: String?
    let overrides: Configuration.Overrides
    let initial: Configuration
    let logger: Logger
    public let events = EventBus()
    public let registry: ReaderRegistry
    let policy: PolicyStore
    let notify: SDNotify
    /// The trust anchors read at start (a change needs a restart).
    public let trustAnchors: TrustAnchors
    /// What `GET /v1/metrics` and the metrics textfile show.
    public let metrics: DaemonMetrics

    public init(
        configuration: Configuration, configurationPath: String?, overrides: Configuration.Overrides = .init(),
        source: any CardSource, binding: HTTPServer.Binding, logger: Logger, notify: SDNotify = SDNotify(),
        trustAnchors: TrustAnchors = .none, metrics: DaemonMetrics = DaemonMetrics(),
        cvcAuthorities: CVCAuthorities = .builtIn
    ) {
        self.metrics = metrics
        self.initial = configuration
        self.configurationPath = configurationPath
        self.overrides = overrides
        self.source = source
        self.binding = binding
        self.logger = logger
        self.notify = notify
        self.policy = PolicyStore(configuration.policy)
        self.trustAnchors = trustAnchors
        self.registry = ReaderRegistry(
            source: source, events: events, logger: logger, validator: ChainValidator(anchors: trustAnchors),
            cardTimeout: .seconds(configuration.cardTimeoutSeconds), metrics: metrics, cvcAuthorities: cvcAuthorities)
    }

    public func run() async throws {
        for (role, group) in [("statusGroup", initial.statusGroup), ("operatorGroup", initial.operatorGroup)] {
            if let group, AccessPolicy.gid(of: group) == nil {
                logger.warning(
                    "configured group does not exist; only root gets this access",
                    metadata: ["setting": "\(role)", "group": "\(group)"])
            }
        }
        logTrustAnchors()
        let handler = APIHandler(registry: registry, events: events, policy: policy, logger: logger, metrics: metrics)
        let server = HTTPServer(handler: handler, limits: initial.serverLimits, logger: logger)
        let registry = self.registry
        let events = self.events
        let notify = self.notify
        let logger = self.logger
        // Graceful shutdown stops the services in the reverse of this order, each after the one
        // before has finished: the status line, metrics file and reload handler at once, then
        // the API drains its running requests (``ServerLimits/shutdownGrace``) while the reader
        // monitor and the watchdog still run, and those two last.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .loop("readers") { await cancelWhenGracefulShutdown { await registry.run() } }
        ]
        if let interval = SDNotify.watchdogInterval() {
            services.append(
                .loop("watchdog") {
                    try? await cancelWhenGracefulShutdown {
                        while !Task.isCancelled {
                            // Only while the reader loop and the API make progress: a hang there
                            // is what the watchdog is for.
                            if await self.makesProgress(within: interval / 4, api: handler) {
                                notify.watchdog()
                            } else {
                                logger.error("no progress: the watchdog is not pinged")
                            }
                            try await Task.sleep(for: interval / 2)
                        }
                    }
                })
        }
        let binding = self.binding
        services.append(
            .loop("api") {
                try await server.run(binding) {
                    logger.notice("listening", metadata: ["socket": "\(Self.describe(binding))"])
                    notify.ready(status: "listening")
                    ServiceRuntime.releaseStartupPages()
                }
            })
        services.append(.loop("reload") { await cancelWhenGracefulShutdown { await self.reloadOnHangup() } })
        services.append(.loop("status") { await cancelWhenGracefulShutdown { await self.reportStatus() } })
        if let textfile = MetricsTextfile(initial, metrics: metrics, logger: logger) {
            services.append(.loop("metrics-textfile") { await cancelWhenGracefulShutdown { await textfile.run() } })
        }
        // No signals of its own: the group that runs this daemon passes its graceful shutdown on.
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [], logger: logger))
        try await withGracefulShutdownHandler {
            try await group.run()
        } onGracefulShutdown: {
            notify.stopping()
            logger.notice("stopping")
            events.finishAll()
        }
        logger.notice("stopped")
    }

    static func describe(_ binding: HTTPServer.Binding) -> String {
        switch binding {
        case .path(let path, _): path
        case .inherited(let fd): "inherited fd \(fd)"
        }
    }

    /// Keeps systemd's STATUS= line current (subscribing again after an overflow).
    private func reportStatus() async {
        while !Task.isCancelled {
            for await item in events.subscribe() {
                // A card read maps the X.509 and card code it ran: an idle daemon need not hold it.
                if case .event(_, let event) = item, event.type == "card-ready" { ServiceRuntime.releaseStartupPages() }
                var ready = 0
                let sessions = await registry.allSessions()
                for session in sessions where await session.readerState == .ready { ready += 1 }
                let pcsc = await registry.pcscAvailable ? "" : ", pcscd unavailable"
                notify.status("\(sessions.count) reader(s), \(ready) card(s) ready\(pcsc)")
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Whether the reader monitor has beaten lately and the API answers a health request
    /// within `deadline`.
    func makesProgress(within deadline: Duration, api: APIHandler) async -> Bool {
        if let heartbeat = source.heartbeat, heartbeat.age > .seconds(20) { return false }
        let request = APIRequest(
            method: .GET, path: "/v1/health", query: [:], headers: [:], body: [],
            peer: PeerCredentials(pid: getpid(), uid: 0, gid: 0, groups: []))
        // Whichever comes first: the answer, or the deadline (a hung API never answers).
        return await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let answer = FirstAnswer(continuation)
            let probe = Task {
                if case .body(.ok, _, _, _) = await api.handle(request) {
                    answer.give(true)
                } else {
                    answer.give(false)
                }
            }
            Task {
                try? await Task.sleep(for: deadline)
                probe.cancel()
                answer.give(false)
            }
        }
    }

    private func reloadOnHangup() async {
        for await _ in await UnixSignalsSequence(trapping: .sighup) {
            notify.reloading()
            do {
                // Flags given at start still win over the file.
                let configuration = try Configuration.load(
                    path: configurationPath, required: true, overrides: overrides)
                policy.replace(with: configuration.policy)
                JournalLogHandler.level.withLock { $0 = configuration.level }
                if configuration.socket != initial.socket || configuration.readerFilter != initial.readerFilter
                    || configuration.trustAnchors != initial.trustAnchors
                    || configuration.metricsTextfile != initial.metricsTextfile
                    || configuration.metricsTextfileIntervalSeconds != initial.metricsTextfileIntervalSeconds
                    || configuration.cvcKeys != initial.cvcKeys || configuration.cvcTestKeyIds != initial.cvcTestKeyIds
                {
                    logger.notice(
                        "socket, readerFilter, trustAnchors, metricsTextfile, cvcKeys and cvcTestKeyIds changes take effect on restart"
                    )
                }
                logger.notice("configuration reloaded")
            } catch {
                logger.error("configuration reload failed; keeping the old one", metadata: ["error": "\(error)"])
            }
            notify.ready(status: "configuration reloaded")
        }
    }
}

/// One of the daemon's loops as a service of its group. A loop that ends leaves the others
/// running; one that throws stops the daemon with its error.
struct DaemonLoop: Service {
    let body: @Sendable () async throws -> Void
    func run() async throws { try await body() }
}

extension ServiceGroupConfiguration.ServiceConfiguration {
    static func loop(_ name: String, _ body: @escaping @Sendable () async throws -> Void) -> Self {
        .init(
            service: DaemonLoop(body: body), successTerminationBehavior: .ignore,
            failureTerminationBehavior: .cancelGroup,
            serviceName: name)
    }
}

extension Daemon {
    /// Says at start whether certificates are checked against trust anchors.
    func logTrustAnchors() {
        if trustAnchors.isConfigured {
            logger.notice(
                "trust anchors loaded",
                metadata: [
                    "directory": "\(trustAnchors.source ?? "-")", "certificates": "\(trustAnchors.certificates.count)",
                ])
        } else {
            logger.notice("no trust anchors configured: certificate trust is not checked")
        }
    }
}
