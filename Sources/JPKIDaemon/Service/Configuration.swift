import FoundationEssentials
import Logging
import MyNumberCard

/// jpkid's settings: a small JSON file, overridden by command-line flags.
public struct Configuration: Codable, Sendable, Equatable {
    public var socket = "/run/jpkid/jpkid.sock"
    /// Members may read status, certificates and events.
    public var statusGroup: String? = "jpkid-status"
    /// Members may also verify PINs, sign and read the sign certificate.
    public var operatorGroup: String? = "jpkid-operator"
    /// Group owning a socket jpkid binds itself (default: the status group). Operators need it too.
    public var socketGroup: String?
    /// Only readers whose name contains this are used.
    public var readerFilter: String?
    /// trace, debug, info, notice, warning, error, critical.
    public var logLevel = "info"
    /// Largest request body accepted, in bytes.
    public var maxBodyBytes = 64 * 1024
    /// Open connections at most; beyond, `503` and close.
    public var maxConnections = 256
    /// Open connections one user (uid) may hold, whatever its number of processes; root and the
    /// kiosk app's user too. (`maxConnectionsPerClient`, its old name, is still read.)
    public var maxConnectionsPerUser = 32
    /// Of `maxConnections`, the slots only operator-group members (and root) may take, so an
    /// operator gets through while other users hold every other slot.
    public var operatorReservedConnections = 32
    /// Event streams (`GET /v1/events`) one user may hold open, within its connections.
    public var maxEventStreamsPerUser = 8
    /// A request must have arrived this long after its first byte.
    public var headerTimeoutSeconds = 10.0
    /// A keep-alive connection without a request is closed after this long.
    public var idleTimeoutSeconds = 60.0
    /// Running requests may finish for this long after SIGTERM.
    public var shutdownGraceSeconds = 5.0
    /// How long a request waits for a card that another program holds before `503 card_busy`.
    public var cardTimeoutSeconds = 10.0
    /// A directory of PEM CA certificates (the J-LIS JPKI CAs). Missing or empty: trust is not checked.
    public var trustAnchors = "/etc/jpkid/trust-anchors"
    /// Textfile mode: write the metrics exposition to this file (absolute, ending in `.prom`) for
    /// node_exporter's textfile collector. Unset: no file (`GET /v1/metrics` serves them anyway).
    public var metricsTextfile: String?
    /// How often the metrics textfile is rewritten.
    public var metricsTextfileIntervalSeconds = 15.0
    /// A directory of CA key files (JSON) for the genuine-card check, beside the built-in J-LIS
    /// keys. Missing: the built-in keys only.
    public var cvcKeys = "/etc/jpkid/cvc-keys"
    /// Test-hierarchy key ids (`6000023/001`) the genuine-card check may trust; none by default.
    public var cvcTestKeyIds: [String] = []

    public init() {}

    private enum CodingKeys: String, CodingKey, CaseIterable {
        case socket, statusGroup, operatorGroup, socketGroup, readerFilter, logLevel, maxBodyBytes
        case maxConnections, maxConnectionsPerUser, operatorReservedConnections
        case maxEventStreamsPerUser, headerTimeoutSeconds, idleTimeoutSeconds
        case shutdownGraceSeconds, cardTimeoutSeconds
        case trustAnchors
        case metricsTextfile, metricsTextfileIntervalSeconds
        case cvcKeys, cvcTestKeyIds
    }

    /// Old names still read (not written).
    private enum LegacyKeys: String, CodingKey, CaseIterable {
        case maxConnectionsPerClient
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = Configuration()
        socket = try c.decodeIfPresent(String.self, forKey: .socket) ?? d.socket
        statusGroup = try c.decodeIfPresent(String.self, forKey: .statusGroup) ?? d.statusGroup
        operatorGroup = try c.decodeIfPresent(String.self, forKey: .operatorGroup) ?? d.operatorGroup
        socketGroup = try c.decodeIfPresent(String.self, forKey: .socketGroup)
        readerFilter = try c.decodeIfPresent(String.self, forKey: .readerFilter)
        logLevel = try c.decodeIfPresent(String.self, forKey: .logLevel) ?? d.logLevel
        maxBodyBytes = try c.decodeIfPresent(Int.self, forKey: .maxBodyBytes) ?? d.maxBodyBytes
        maxConnections = try c.decodeIfPresent(Int.self, forKey: .maxConnections) ?? d.maxConnections
        let legacy = try decoder.container(keyedBy: LegacyKeys.self)
        maxConnectionsPerUser =
            try c.decodeIfPresent(Int.self, forKey: .maxConnectionsPerUser)
            ?? legacy.decodeIfPresent(Int.self, forKey: .maxConnectionsPerClient) ?? d.maxConnectionsPerUser
        operatorReservedConnections =
            try c.decodeIfPresent(Int.self, forKey: .operatorReservedConnections) ?? d.operatorReservedConnections
        maxEventStreamsPerUser =
            try c.decodeIfPresent(Int.self, forKey: .maxEventStreamsPerUser) ?? d.maxEventStreamsPerUser
        headerTimeoutSeconds =
            try c.decodeIfPresent(Double.self, forKey: .headerTimeoutSeconds) ?? d.headerTimeoutSeconds
        idleTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .idleTimeoutSeconds) ?? d.idleTimeoutSeconds
        shutdownGraceSeconds =
            try c.decodeIfPresent(Double.self, forKey: .shutdownGraceSeconds) ?? d.shutdownGraceSeconds
        cardTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .cardTimeoutSeconds) ?? d.cardTimeoutSeconds
        trustAnchors = try c.decodeIfPresent(String.self, forKey: .trustAnchors) ?? d.trustAnchors
        metricsTextfile = try c.decodeIfPresent(String.self, forKey: .metricsTextfile)
        metricsTextfileIntervalSeconds =
            try c.decodeIfPresent(Double.self, forKey: .metricsTextfileIntervalSeconds)
            ?? d.metricsTextfileIntervalSeconds
        cvcKeys = try c.decodeIfPresent(String.self, forKey: .cvcKeys) ?? d.cvcKeys
        cvcTestKeyIds = try c.decodeIfPresent([String].self, forKey: .cvcTestKeyIds) ?? d.cvcTestKeyIds
    }

    /// Loads `path`; a missing file at the default path is the defaults.
    public static func load(path: String?, required: Bool) throws -> Configuration {
        guard let path else { return Configuration() }
        guard FileManager.default.fileExists(atPath: path) else {
            if required { throw ConfigurationError("configuration file \(path) does not exist") }
            return Configuration()
        }
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            // A misspelt setting would otherwise be ignored without a word.
            if let keys = JSONTopLevelKeys.of(data),
                let unknown = keys.sorted().first(where: {
                    CodingKeys(rawValue: $0) == nil && LegacyKeys(rawValue: $0) == nil
                })
            {
                let known = CodingKeys.allCases.map(\.rawValue).joined(separator: ", ")
                throw ConfigurationError("\(path): unknown setting '\(unknown)' (known: \(known))")
            }
            let configuration = try JSONDecoder().decode(Configuration.self, from: data)
            try configuration.validate()
            return configuration
        } catch let error as ConfigurationError {
            throw error
        } catch let DecodingError.typeMismatch(_, context) {
            throw ConfigurationError(
                "\(path): '\(context.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type")
        } catch {
            throw ConfigurationError("\(path) is not valid JSON")
        }
    }

    public func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ConfigurationError(
                "logLevel '\(logLevel)' is not one of trace, debug, info, notice, warning, error, critical")
        }
        guard (1024...(16 << 20)).contains(maxBodyBytes) else {
            throw ConfigurationError("maxBodyBytes must be between 1024 and 16777216")
        }
        guard socket.hasPrefix("/") else { throw ConfigurationError("socket must be an absolute path") }
        guard (1...65_536).contains(maxConnections), (1...maxConnections).contains(maxConnectionsPerUser) else {
            throw ConfigurationError(
                "maxConnections must be 1...65536 and maxConnectionsPerUser 1...maxConnections")
        }
        guard (0..<maxConnections).contains(operatorReservedConnections),
            (1...maxConnections).contains(maxEventStreamsPerUser)
        else {
            throw ConfigurationError(
                "operatorReservedConnections must be 0...maxConnections-1 and maxEventStreamsPerUser 1...maxConnections"
            )
        }
        for (name, value, range) in [
            ("headerTimeoutSeconds", headerTimeoutSeconds, 0.1...600.0),
            ("idleTimeoutSeconds", idleTimeoutSeconds, 0.1...3600.0),
            ("shutdownGraceSeconds", shutdownGraceSeconds, 0.0...10.0),
            ("cardTimeoutSeconds", cardTimeoutSeconds, 0.1...600.0),
            ("metricsTextfileIntervalSeconds", metricsTextfileIntervalSeconds, 1.0...3600.0),
        ] where !range.contains(value) {
            throw ConfigurationError("\(name) must be between \(range.lowerBound) and \(range.upperBound)")
        }
        guard trustAnchors.hasPrefix("/") else { throw ConfigurationError("trustAnchors must be an absolute path") }
        guard cvcKeys.hasPrefix("/") else { throw ConfigurationError("cvcKeys must be an absolute path") }
        for id in cvcTestKeyIds {
            guard let parsed = CVCKeyID(text: id), parsed.isTestHierarchy else {
                throw ConfigurationError("cvcTestKeyIds: '\(id)' is not a test-hierarchy key id like 6000023/001")
            }
        }
        if let metricsTextfile, !metricsTextfile.hasPrefix("/") || !metricsTextfile.hasSuffix(".prom") {
            // node_exporter's textfile collector reads only *.prom files.
            throw ConfigurationError("metricsTextfile must be an absolute path ending in .prom")
        }
    }

    /// The HTTP server's bounds from these settings.
    public var serverLimits: HTTPServer.Limits {
        var limits = HTTPServer.Limits()
        limits.bodyBytes = maxBodyBytes
        limits.maxConnections = maxConnections
        limits.maxConnectionsPerUser = maxConnectionsPerUser
        limits.operatorReservedConnections = operatorReservedConnections
        limits.maxEventStreamsPerUser = maxEventStreamsPerUser
        limits.headerTimeout = .seconds(headerTimeoutSeconds)
        limits.idleTimeout = .seconds(idleTimeoutSeconds)
        limits.shutdownGrace = .seconds(shutdownGraceSeconds)
        return limits
    }

    /// Settings given on the command line: they win over the file, at start and on every reload.
    public struct Overrides: Sendable, Equatable {
        public var socket: String?
        /// An empty string means no group.
        public var statusGroup: String?
        /// An empty string means no group.
        public var operatorGroup: String?
        public var socketGroup: String?
        public var readerFilter: String?
        public var logLevel: String?
        /// An empty string means no textfile.
        public var metricsTextfile: String?
        public var metricsTextfileIntervalSeconds: Double?

        public init() {}

        public func apply(to configuration: inout Configuration) {
            if let socket { configuration.socket = socket }
            if let statusGroup { configuration.statusGroup = statusGroup.isEmpty ? nil : statusGroup }
            if let operatorGroup { configuration.operatorGroup = operatorGroup.isEmpty ? nil : operatorGroup }
            if let socketGroup { configuration.socketGroup = socketGroup }
            if let readerFilter { configuration.readerFilter = readerFilter }
            if let logLevel { configuration.logLevel = logLevel }
            if let metricsTextfile { configuration.metricsTextfile = metricsTextfile.isEmpty ? nil : metricsTextfile }
            if let metricsTextfileIntervalSeconds {
                configuration.metricsTextfileIntervalSeconds = metricsTextfileIntervalSeconds
            }
        }
    }

    /// Loads `path` (see ``load(path:required:)``), applies `overrides` and validates the result.
    public static func load(path: String?, required: Bool, overrides: Overrides) throws -> Configuration {
        var configuration = try load(path: path, required: required)
        overrides.apply(to: &configuration)
        try configuration.validate()
        return configuration
    }

    public var level: Logger.Level { Logger.Level(rawValue: logLevel) ?? .info }
    public var policy: AccessPolicy { AccessPolicy(statusGroup: statusGroup, operatorGroup: operatorGroup) }
}

public struct ConfigurationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
