import FoundationEssentials

/// A calendar date in Japan time (Asia/Tokyo, UTC+9 all year: Japan has kept no daylight saving
/// time since 1951, so a fixed offset is exact and needs no time-zone database).
public struct JapanDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Japan's offset from UTC.
    public static let timeZone = TimeZone(secondsFromGMT: 9 * 3600)!

    /// Creates a date, or nil when it does not exist (2025-02-29, 2025-04-31, ...).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), (1...Self.daysIn(year: year, month: month)).contains(day) else {
            return nil
        }
        self.year = year
        self.month = month
        self.day = day
    }

    /// The date in Japan at instant `date`.
    public init(_ date: Date) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = Self.timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        self.year = parts.year!
        self.month = parts.month!
        self.day = parts.day!
    }

    /// Parses `YYYY-MM-DD`.
    public init?(iso string: String) {
        let parts = string.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2])
        else { return nil }
        self.init(year: y, month: m, day: d)
    }

    public static func isLeapYear(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    public static func daysIn(year: Int, month: Int) -> Int {
        switch month {
        case 2: isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// The next calendar day.
    public var nextDay: JapanDate {
        if day < Self.daysIn(year: year, month: month) { return JapanDate(year: year, month: month, day: day + 1)! }
        return month == 12
            ? JapanDate(year: year + 1, month: 1, day: 1)! : JapanDate(year: year, month: month + 1, day: 1)!
    }

    /// The first instant of this day in Japan.
    public var startInstant: Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = Self.timeZone
        return calendar.date(from: DateComponents(year: year, month: month, day: day))!
    }

    public static func < (lhs: JapanDate, rhs: JapanDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    /// `YYYY-MM-DD`.
    public var description: String {
        func pad(_ n: Int, _ width: Int) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    public init(from decoder: any Decoder) throws {
        let string = try decoder.singleValueContainer().decode(String.self)
        guard let date = JapanDate(iso: string) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not a YYYY-MM-DD date"))
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension JapanDate {
    /// The number of the day in Japan at instant `date`, counted from 1970-01-01 (Japan time):
    /// for telling cheaply whether two instants fall on the same day there (UTC+9, no daylight
    /// saving).
    public static func dayNumber(_ date: Date) -> Int {
        Int(((date.timeIntervalSince1970 + 9 * 3600) / 86400).rounded(.down))
    }
}

/// The certificate renewal rule of the municipal offices: renewal opens three months before expiry.
public enum RenewalRule {
    /// The first day a certificate expiring on `expiry` can be renewed: the day after the day
    /// three months earlier, or, where that day does not exist, the 1st of the following month.
    ///
    /// 2025-07-07 → 2025-04-08; 2025-05-29 → 2025-03-01 (there is no 2025-02-29).
    public static func renewableFrom(expiry: JapanDate) -> JapanDate {
        var year = expiry.year
        var month = expiry.month - 3
        if month < 1 {
            month += 12
            year -= 1
        }
        if let threeMonthsBefore = JapanDate(year: year, month: month, day: expiry.day) {
            return threeMonthsBefore.nextDay
        }
        return month == 12
            ? JapanDate(year: year + 1, month: 1, day: 1)! : JapanDate(year: year, month: month + 1, day: 1)!
    }
}

extension JapanDate {
    /// Today in Japan.
    public static var today: JapanDate { JapanDate(Date()) }
}
