import CoreMetrics
import MyNumberCard

extension DaemonMetrics {
    /// Every result at 0 and no reader unsafe, so rate() and alerts see the first change.
    func startPowerCycleMetrics() {
        for result in ["closed", "state_kept", "not_checked"] {
            _ = CoreMetrics.Counter(
                label: MetricName.powerCycleChecks.rawValue, dimensions: [("result", result)], factory: factory)
        }
        readersUnsafe(0)
    }

    /// The check after a PIN session's power cycle (``PowerCycleCheck``).
    func powerCycleChecked(_ check: PowerCycleCheck) {
        let result =
            switch check {
            case .closed: "closed"
            case .stateKept: "state_kept"
            case .notChecked: "not_checked"
            }
        CoreMetrics.Counter(
            label: MetricName.powerCycleChecks.rawValue, dimensions: [("result", result)], factory: factory
        ).increment()
    }

    /// How many readers are marked unsafe now.
    func readersUnsafe(_ count: Int) {
        Meter(label: MetricName.readersUnsafe.rawValue, factory: factory).set(count)
    }
}
