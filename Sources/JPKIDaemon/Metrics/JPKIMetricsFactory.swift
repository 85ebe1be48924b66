import CoreMetrics
import Prometheus

/// swift-metrics' factory for jpkid's metrics, over one ``PrometheusCollectorRegistry`` passed
/// in (not the process-wide `MetricsSystem`, which can be bootstrapped once: each daemon, and
/// each test, has a registry of its own). Unlike swift-prometheus' own factory it gives every
/// metric its `# HELP` text and a timer its histogram buckets from ``MetricName``.
struct JPKIMetricsFactory: MetricsFactory {
    let registry: PrometheusCollectorRegistry

    /// The name with its help text, and the buckets a timer of that name gets.
    private static func describe(_ label: String) -> (MetricNameDescriptor, buckets: [Duration]) {
        let name = MetricName(rawValue: label)
        let descriptor = MetricNameDescriptor(
            metricName: label, unitName: "", helpText: name?.help ?? "jpkid metric \(label).")
        return (descriptor, (name ?? .httpRequestDuration).buckets)
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: Self.describe(label).0, labels: dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        let (descriptor, _) = Self.describe(label)
        guard aggregate else { return registry.makeGauge(descriptor: descriptor, labels: dimensions) }
        return registry.makeValueHistogram(
            descriptor: descriptor, labels: dimensions, buckets: [0.001, 0.01, 0.1, 1, 10, 100])
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: Self.describe(label).0, labels: dimensions)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        let (descriptor, buckets) = Self.describe(label)
        return registry.makeDurationHistogram(descriptor: descriptor, labels: dimensions, buckets: buckets)
    }

    func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyRecorder(_ handler: any RecorderHandler) {
        switch handler {
        case let gauge as Prometheus.Gauge: registry.unregisterGauge(gauge)
        case let histogram as ValueHistogram: registry.unregisterValueHistogram(histogram)
        default: break
        }
    }

    func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    func destroyTimer(_ handler: any TimerHandler) {
        if let histogram = handler as? DurationHistogram { registry.unregisterDurationHistogram(histogram) }
    }
}
