import ArgumentParser
import FoundationEssentials
import JPKIDaemon
import Logging
import MyNumberCard
import ServiceLifecycle

@main
struct JPKID: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jpkid",
        abstract: "The My Number card (JPKI) daemon: PC/SC readers served over a Unix-socket JSON API.",
        discussion: """
            For a simulated card, run jpki-sim behind pcscd's vpcd reader (scripts/demo.sh).
            Started by systemd with a socket (jpkid.socket) it takes that socket; otherwise it binds \
            --socket itself. SIGTERM/SIGINT stop it gracefully; SIGHUP reloads the configuration file.
            """)

    @Option(help: "Configuration file (JSON).")
    var config: String?

    @Option(help: "Socket path (default /run/jpkid/jpkid.sock).")
    var socket: String?

    @Option(help: "Group allowed to read status.")
    var statusGroup: String?

    @Option(help: "Group allowed to verify PINs and sign.")
    var operatorGroup: String?

    @Option(help: "Group owning the socket (default: the status group).")
    var socketGroup: String?

    @Option(help: "Use only readers whose name contains this.")
    var readerFilter: String?

    @Option(help: "The lowest level logged.")
    var logLevel: Logger.Level?

    @Option(
        help: "Write the metrics to this .prom file for node_exporter's textfile collector (\"\": none).")
    var metricsTextfile: String?

    @Option(
        help: "Seconds between metrics textfile writes (default 15).")
    var metricsTextfileInterval: Double?

    func run() async throws {
        ServiceRuntime.configure()
        var overrides = Configuration.Overrides()
        overrides.socket = socket
        overrides.statusGroup = statusGroup
        overrides.operatorGroup = operatorGroup
        overrides.socketGroup = socketGroup
        overrides.readerFilter = readerFilter
        overrides.logLevel = logLevel?.rawValue
        overrides.metricsTextfile = metricsTextfile
        overrides.metricsTextfileIntervalSeconds = metricsTextfileInterval
        let configurationPath = config ?? "/etc/jpkid/jpkid.json"
        let configuration: Configuration
        let trustAnchors: TrustAnchors
        let cvcAuthorities: CVCAuthorities
        do {
            configuration = try Configuration.load(
                path: configurationPath, required: config != nil, overrides: overrides)
            trustAnchors = try configuration.loadTrustAnchors()
            cvcAuthorities = try configuration.loadCVCAuthorities()
        } catch {
            throw ValidationError("\(error)")
        }

        LoggingSystem.bootstrap { JournalLogHandler(label: $0) }
        JournalLogHandler.level.withLock { $0 = configuration.level }
        let logger = Logger(label: "jpkid")
        // Before any PIN can arrive: no core file, not dumpable.
        for failure in ProcessHardening.apply() {
            logger.warning("process hardening failed", metadata: ["call": "\(failure)"])
        }
        let openFiles = ProcessHardening.raiseOpenFileLimit(for: configuration.maxConnections)
        if openFiles < configuration.maxConnections + 64 {
            logger.warning(
                "the open-file limit is low for maxConnections", metadata: ["limit": "\(openFiles)"])
        }

        let source = PCSCCardSource(
            readerFilter: configuration.readerFilter, cardTimeout: .seconds(configuration.cardTimeoutSeconds))
        let binding: HTTPServer.Binding =
            SocketActivation.listeningSocket().map { .inherited($0) }
            ?? .path(configuration.socket, socketGroup: configuration.socketGroup ?? configuration.statusGroup)
        let daemon = Daemon(
            configuration: configuration, configurationPath: configurationPath, overrides: overrides,
            source: source, binding: binding, logger: logger, trustAnchors: trustAnchors,
            cvcAuthorities: cvcAuthorities)
        var groupConfiguration = ServiceGroupConfiguration(
            services: [.init(service: daemon)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // Running requests get shutdownGraceSeconds; past this the service is cancelled outright,
        // well inside systemd's stop timeout.
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(configuration.shutdownGraceSeconds + 2)
        groupConfiguration.maximumCancellationDuration = .seconds(3)
        let group = ServiceGroup(configuration: groupConfiguration)
        try await group.run()
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
