import CoreMetrics
import ErrorCodes
import Metrics
import MyNumberCard
import Prometheus
import Synchronization

/// jpkid's metrics (see ``MetricName``), recorded with swift-metrics into one
/// ``PrometheusCollectorRegistry`` that `GET /v1/metrics` and the textfile mode expose.
///
/// Every call is one line at the place it counts, and cheap: a lock and an atomic add. Label
/// values come from closed sets (PIN kinds, keys, result codes, route templates), never from a
/// card, a certificate or a reader's name.
public final class DaemonMetrics: Sendable {
    /// The registry the exposition is emitted from.
    public let registry: PrometheusCollectorRegistry
    let factory: JPKIMetricsFactory
    private let cardsInserted: CoreMetrics.Counter
    private let readDuration: CoreMetrics.Timer
    private let apdus: CoreMetrics.Counter
    private let readers: Meter
    private let pcscUp: Meter
    private let pcscOutages: CoreMetrics.Counter
    private let eventStreams: Meter
    private let pcscAvailable = Mutex(true)
    /// Request counters and timers by route, method and status (bounded label sets), made once.
    let requestHandles = Mutex<[RequestKey: RequestHandles]>([:])

    /// The media type of the text exposition format.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        let factory = JPKIMetricsFactory(registry: registry)
        self.factory = factory
        cardsInserted = CoreMetrics.Counter(label: MetricName.cardsInserted.rawValue, factory: factory)
        readDuration = CoreMetrics.Timer(label: MetricName.cardReadDuration.rawValue, factory: factory)
        apdus = CoreMetrics.Counter(label: MetricName.apdusSent.rawValue, factory: factory)
        readers = Meter(label: MetricName.readersPresent.rawValue, factory: factory)
        pcscUp = Meter(label: MetricName.pcscAvailable.rawValue, factory: factory)
        pcscOutages = CoreMetrics.Counter(label: MetricName.pcscOutages.rawValue, factory: factory)
        eventStreams = Meter(label: MetricName.eventStreamsOpen.rawValue, factory: factory)
        pcscUp.set(1)
        readers.set(0)
        eventStreams.set(0)
        // Known label values start at 0, so rate() and increase() see the first event.
        for kind in PINKind.allCases {
            _ = counter(.pinBlocks, ("pin", kind.rawValue))
            for result in PINVerificationResult.allCases {
                _ = counter(.pinVerifications, ("pin", kind.rawValue), ("result", result.rawValue))
            }
        }
        for key in SigningKey.allCases { _ = counter(.signatures, ("key", key.rawValue)) }
        _ = counter(.cardReads, ("result", "ok"))
        registerGenuineChecks()
        startPowerCycleMetrics()
        for reason in ConnectionTable.Refusal.allCases { _ = counter(.connectionsRefused, ("reason", reason.rawValue)) }
    }

    /// The exposition in the Prometheus text format (version 0.0.4).
    public func exposition() -> [UInt8] {
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        return bytes
    }

    private func counter(_ name: MetricName, _ labels: (String, String)...) -> CoreMetrics.Counter {
        CoreMetrics.Counter(label: name.rawValue, dimensions: labels, factory: factory)
    }

    // MARK: - Cards

    func cardInserted() { cardsInserted.increment() }

    /// A card read (connect and read on insertion, or a refresh) that ended with `error` (nil:
    /// it succeeded) after running since `start`.
    func cardRead(_ error: (any Error)?, since start: ContinuousClock.Instant) {
        readDuration.record(duration: ContinuousClock.now - start)
        let result = error.map { Self.codeLabel(APIError.from($0).code) } ?? "ok"
        counter(.cardReads, ("result", result)).increment()
    }

    func apduSent() { apdus.increment() }

    /// A stable error code as a label value: codes are short snake_case words; anything else
    /// (which no code is) becomes `other`, so no text from outside can reach a label.
    static func codeLabel(_ errorCode: ErrorCode) -> String {
        let code = errorCode.rawValue
        let allowed = code.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F }
        return allowed && (1...40).contains(code.utf8.count) ? code : "other"
    }

    // MARK: - PINs and signatures

    func pinVerification(_ kind: PINKind, _ result: PINVerificationResult) {
        counter(.pinVerifications, ("pin", kind.rawValue), ("result", result.rawValue)).increment()
    }

    /// A PIN operation failed with `error`: counts its result when the error is about the PIN,
    /// and a block when the PIN `wasBlocked` not before (this try blocked it).
    func pinOperationFailed(_ kind: PINKind, _ error: any Error, wasBlocked: Bool) {
        guard let result = PINVerificationResult(error) else { return }
        pinVerification(kind, result)
        if result == .blocked, !wasBlocked { counter(.pinBlocks, ("pin", kind.rawValue)).increment() }
    }

    /// Runs a local PIN format check, counting a refusal as a `format` result.
    func checkingFormat<T>(_ kind: PINKind, _ check: () throws -> T) throws -> T {
        do {
            return try check()
        } catch {
            if case CardError.pinFormat = error { pinVerification(kind, .format) }
            throw error
        }
    }

    func signature(_ key: SigningKey) { counter(.signatures, ("key", key.rawValue)).increment() }

    // MARK: - Readers and pcscd

    func readersPresent(_ count: Int) { readers.set(count) }

    /// pcscd is available or not; a change to unavailable is an outage.
    func pcsc(available: Bool) {
        let wasAvailable = pcscAvailable.withLock { state in
            defer { state = available }
            return state
        }
        pcscUp.set(available ? 1 : 0)
        if wasAvailable, !available { pcscOutages.increment() }
    }

    // MARK: - API

    /// An answered API request. `route` is a template (``RouteTemplate``), never a raw path.
    func request(route: String, method: String, status: UInt, duration: Duration) {
        // Making a metric (the registry's lock, its name and label checks, a help text) cost more
        // than the cached status answer it counts: each combination is made once.
        let handles = requestHandles.withLock { cache in
            let key = RequestKey(route: route, method: method, status: status)
            if let known = cache[key] { return known }
            let made = RequestHandles(
                count: counter(.httpRequests, ("route", route), ("method", method), ("status", String(status))),
                duration: CoreMetrics.Timer(
                    label: MetricName.httpRequestDuration.rawValue, dimensions: [("route", route), ("method", method)],
                    factory: factory))
            cache[key] = made
            return made
        }
        handles.count.increment()
        handles.duration.record(duration: duration)
    }

    struct RequestKey: Hashable {
        let route: String
        let method: String
        let status: UInt
    }

    struct RequestHandles: Sendable {
        let count: CoreMetrics.Counter
        let duration: CoreMetrics.Timer
    }

    /// A connection or event stream refused by the limits; `reason` is a ``ConnectionTable/Refusal``.
    func connectionRefused(_ reason: String) { counter(.connectionsRefused, ("reason", reason)).increment() }

    func eventStreamOpened() { eventStreams.increment() }
    func eventStreamClosed() { eventStreams.decrement() }
}
