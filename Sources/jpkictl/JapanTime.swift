import FoundationEssentials
import JapaneseCalendar

/// `2026-12-05 12:34:56 JST`: an instant as Japan's clock shows it. The day comes from the
/// shared Japan-time calendar, the time from the seconds since that day began.
func japanTime(_ date: Date) -> String {
    let day = JapanDate(date)
    let seconds = Int(date.timeIntervalSince(day.startInstant).rounded(.down))
    func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
    return "\(day) \(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60)) JST"
}
