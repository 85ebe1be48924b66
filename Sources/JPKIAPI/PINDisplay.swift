/// How clients list and show PIN counters.
extension PINView {
    /// Every PIN a reader view can carry, in display order: the four a citizen sets, then PIN A and
    /// PIN B of the card-text and card-face APs.
    public static let displayOrder = [
        "auth", "sign", "card-text", "juki", "card-text-a", "card-text-b", "card-face-a", "card-face-b",
    ]

    /// `2/3`, or `2` where the card does not report the maximum; `-` when unknown.
    public var triesText: String {
        guard let remaining else { return "-" }
        return max.map { "\(remaining)/\($0)" } ?? "\(remaining)"
    }
}
