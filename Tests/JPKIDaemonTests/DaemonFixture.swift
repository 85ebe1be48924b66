import CardSimulator
import Foundation
import JPKIAPI
import JPKIClient
import JPKIDaemonSimulation
import Logging
import MyNumberCard
import Synchronization

@testable import JPKIDaemon

/// Keeps every log line the daemon writes, for the secrets checks.
final class LogCapture: Sendable {
    let lines = Mutex<[String]>([])
    var text: String { lines.withLock { $0.joined(separator: "\n") } }

    func handler(label: String) -> some LogHandler { CapturingHandler(capture: self) }

    struct CapturingHandler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            let fields = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            capture.lines.withLock { $0.append("\(event.level) \(event.message) \(fields)") }
        }
    }
}

/// An in-process jpkid on a simulated card, listening on a real Unix socket.
final class DaemonFixture: Sendable {
    let directory: URL
    let socketPath: String
    let source: SimulatedCardSource
    let daemon: Daemon
    let log = LogCapture()
    private let task: Mutex<Task<Void, Never>?> = Mutex(nil)

    init(
        scenario: Scenario = Scenario(), statusGroup: String? = "jpkid-status",
        operatorGroup: String? = "jpkid-operator",
        socketGroup: String? = nil, trustAnchors: TrustAnchors = .none, image: CardImage? = nil,
        cvcAuthorities: CVCAuthorities = .builtIn, configure: (inout Configuration) -> Void = { _ in }
    ) throws {
        directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("jpkid-test-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        chmod(directory.path, 0o755)
        socketPath = directory.appendingPathComponent("jpkid.sock").path
        source = SimulatedCardSource(card: try SimulatedCard(image: try image ?? Images.image(scenario)))
        var configuration = Configuration()
        configuration.socket = socketPath
        configuration.statusGroup = statusGroup
        configuration.operatorGroup = operatorGroup
        configure(&configuration)
        let capture = log
        let logger = Logger(label: "jpkid-test") { capture.handler(label: $0) }
        daemon = Daemon(
            configuration: configuration, configurationPath: nil, source: source,
            binding: .path(socketPath, socketGroup: socketGroup ?? statusGroup), logger: logger,
            notify: SDNotify(environment: [:]), trustAnchors: trustAnchors, cvcAuthorities: cvcAuthorities)
    }

    /// Starts the daemon and waits until the card has been read.
    func start() async throws {
        let daemon = self.daemon
        task.withLock { $0 = Task { try? await daemon.run() } }
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if FileManager.default.fileExists(atPath: socketPath),
                let response = try? await request("GET", "/v1/readers"),
                let list = try? APIJSON.decoder().decode(ReaderList.self, from: response.body),
                list.readers.first.map({ $0.state != .reading && $0.state != .empty }) == true
            {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw FixtureError("jpkid did not come up")
    }

    /// Polls `condition` until it holds (fails the wait after 60 s: parallel tests generating RSA keys can starve the pool): no fixed sleeps in tests.
    func eventually(
        _ what: String, _ condition: @Sendable () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw FixtureError("timed out waiting until \(what)")
    }

    func stop() async {
        let running = task.withLock { $0 }
        running?.cancel()
        await running?.value
        try? FileManager.default.removeItem(at: directory)
    }

    var client: UnixHTTPClient { UnixHTTPClient(socketPath: socketPath) }

    /// A request. A body with a PIN or card-face code
    /// (raw or 照合番号B's parts) and no `cardId` gets the current card's (jpkid requires one); `bindCard: false` sends it
    /// as written.
    func request(
        _ method: String, _ path: String, json: String? = nil, bindCard: Bool = true
    ) async throws -> UnixHTTPClient.Response {
        let client = self.client
        var json = json
        if bindCard, let body = json, body.hasPrefix("{\""), !body.contains("\"cardId\""),
            body.contains("\"pin\"") || body.contains("\"pinA\"") || body.contains("\"pinB\"")
                || body.contains("\"birthDate\"")
        {
            json = #"{"cardId":"\#(try await currentCardID())","# + body.dropFirst()
        }
        return try await client.send(method, path, json: json.map { Data($0.utf8) })
    }

    /// The card id of the first reader's card ("" when there is none).
    func currentCardID() async throws -> String {
        let body = try await request("GET", "/v1/readers").body
        return try APIJSON.decoder().decode(ReaderList.self, from: body).readers.first?.card?.cardId ?? ""
    }

    func error(_ response: UnixHTTPClient.Response) -> ErrorDetail? {
        (try? APIJSON.decoder().decode(ErrorBody.self, from: response.body))?.error
    }

    func readerID() async throws -> String {
        let body = try await request("GET", "/v1/readers").body
        return try APIJSON.decoder().decode(ReaderList.self, from: body).readers[0].id
    }

    static func with(_ fixture: DaemonFixture, _ body: (DaemonFixture) async throws -> Void) async throws {
        try await fixture.start()
        do {
            try await body(fixture)
        } catch {
            await fixture.stop()
            throw error
        }
        await fixture.stop()
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// Card images built once per process.
enum Images {
    private static let cache = Mutex<[String: CardImage]>([:])
    static func image(_ scenario: Scenario) throws -> CardImage {
        let key = String(describing: scenario)
        if let image = cache.withLock({ $0[key] }) { return image }
        let image = try CardBuilder.build(scenario)
        cache.withLock { $0[key] = image }
        return image
    }
}

/// Runs a program and returns its exit status and standard output.
func run(_ arguments: [String], stdin: String? = nil) async throws -> (Int32, String) {
    try await onThread {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
