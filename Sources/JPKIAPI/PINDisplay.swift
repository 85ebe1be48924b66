/// How clients list and show PIN counters.
extension PINView {
    /// Every PIN a reader view can carry, in display order: the ones a citizen sets (the JUKI PIN
    /// twice: `juki` in the common card AP, `juki-ap` in the JUKI AP), then the card-data keys of
    /// the card-text and card-face APs.
    public static let displayOrder = [
        "auth", "sign", "card-text", "juki", "juki-ap", "card-text-a", "card-text-b", "card-face-birth-date",
        "card-face-a", "card-face-b",
    ]

    /// Where a PIN that looks like another lives, for terminal lines: `  (common card AP)` for
    /// `juki`, `  (JUKI AP)` for `juki-ap`, empty otherwise.
    public static func applicationNote(_ kind: String) -> String {
        switch kind {
        case "juki": "  (common card AP)"
        case "juki-ap": "  (JUKI AP)"
        default: ""
        }
    }

    /// `2/3`, or `2` where the card does not report the maximum; `-` when unknown.
    public var triesText: String {
        guard let remaining else { return "-" }
        return max.map { "\(remaining)/\($0)" } ?? "\(remaining)"
    }
}
