import CoreMetrics
import MyNumberCard

/// Genuine-card checks by check and verdict. No personal label: the verdict and the
/// kind of check only.
extension DaemonMetrics {
    /// Which check ran.
    enum GenuineCheckKind: String, CaseIterable {
        case cardFace = "card-face"
        case cardText = "card-text"
        case age
    }

    func genuineCheck(_ kind: GenuineCheckKind, _ verdict: GenuineVerdict) {
        CoreMetrics.Counter(
            label: MetricName.genuineChecks.rawValue,
            dimensions: [("check", kind.rawValue), ("verdict", verdict.rawValue)],
            factory: factory
        ).increment()
    }

    /// Every label pair at 0, so that rate() and the key_mismatch alert see the first check.
    func registerGenuineChecks() {
        for kind in GenuineCheckKind.allCases {
            for verdict in GenuineVerdict.allCases {
                _ = CoreMetrics.Counter(
                    label: MetricName.genuineChecks.rawValue,
                    dimensions: [("check", kind.rawValue), ("verdict", verdict.rawValue)], factory: factory)
            }
        }
    }
}
