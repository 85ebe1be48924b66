/// How clients list and show PIN counters.
extension PINView {
    /// Where a PIN that looks like another lives, for terminal lines: `  (common card AP)` for
    /// `juki`, `  (JUKI AP)` for `juki-ap`, empty otherwise.
    public static func applicationNote(_ kind: Kind) -> String {
        switch kind {
        case .juki: "  (common card AP)"
        case .jukiAP: "  (JUKI AP)"
        default: ""
        }
    }

    /// `2/3`, or `2` where the card does not report the maximum; `-` when unknown.
    public var triesText: String {
        guard let remaining else { return "-" }
        return max.map { "\(remaining)/\($0)" } ?? "\(remaining)"
    }
}
