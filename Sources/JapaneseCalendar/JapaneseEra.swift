/// The Japanese eras (元号) since the Gregorian calendar's use in Japan, with the Gregorian day
/// each began. This is the one era table in jpkid: the card layer, the daemon, jpkictl and the
/// simulated card all use it.
///
/// A card-face birth date (照合番号B and the card-face key `0011`) carries the year **in the era**
/// (`YYMMDD`, era not sent): 1980-02-17 is Showa 55, so `550217`; a Gregorian `800217` is a wrong
/// code and burns a try.
public enum JapaneseEra: Int, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    // Raw values are the JPKI era digits (the `E` of a sign certificate's `EYYYYMMDD`).
    case meiji = 1
    case taisho = 2
    case showa = 3
    case heisei = 4
    case reiwa = 5

    /// The era's first day (Gregorian). Meiji counts from 1868-01-25, the Gregorian first day of
    /// Meiji 1 (the era was applied to the whole year).
    public var firstDay: JapanDate {
        switch self {
        case .meiji: JapanDate(year: 1868, month: 1, day: 25)!
        case .taisho: JapanDate(year: 1912, month: 7, day: 30)!
        case .showa: JapanDate(year: 1926, month: 12, day: 25)!
        case .heisei: JapanDate(year: 1989, month: 1, day: 8)!
        case .reiwa: JapanDate(year: 2019, month: 5, day: 1)!
        }
    }

    /// 明治, 大正, 昭和, 平成, 令和.
    public var kanji: String {
        switch self {
        case .meiji: "明治"
        case .taisho: "大正"
        case .showa: "昭和"
        case .heisei: "平成"
        case .reiwa: "令和"
        }
    }

    /// `Meiji`, `Taisho`, `Showa`, `Heisei`, `Reiwa`.
    public var description: String {
        switch self {
        case .meiji: "Meiji"
        case .taisho: "Taisho"
        case .showa: "Showa"
        case .heisei: "Heisei"
        case .reiwa: "Reiwa"
        }
    }

    /// The era after this one, if any.
    public var next: JapaneseEra? { JapaneseEra(rawValue: rawValue + 1) }

    /// The era `date` falls in, or nil before Meiji.
    public init?(containing date: JapanDate) {
        guard let era = Self.allCases.last(where: { $0.firstDay <= date }) else { return nil }
        self = era
    }

    public static func < (lhs: JapaneseEra, rhs: JapaneseEra) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A date written with its era year, as the card face prints it and the card-face keys take it.
public struct JapaneseEraDate: Sendable, Hashable {
    public let era: JapaneseEra
    /// 1 for the era's first (partial) year.
    public let eraYear: Int
    public let date: JapanDate

    /// The era date of `date`, or nil before Meiji.
    public init?(_ date: JapanDate) {
        guard let era = JapaneseEra(containing: date) else { return nil }
        self.era = era
        self.eraYear = date.year - era.firstDay.year + 1
        self.date = date
    }

    /// The Gregorian dates the card-face digits `yymmdd` can stand for: one per era in which
    /// that era year, month and day exist (for example `550217` is only Showa 55, 1980-02-17;
    /// `800217` is no era date before 2098). Empty when the digits are no era date at all.
    public static func candidates(yymmdd: String) -> [JapanDate] {
        let bytes = Array(yymmdd.utf8)
        guard bytes.count == 6, bytes.allSatisfy({ (0x30...0x39).contains($0) }) else { return [] }
        let n = bytes.map { Int($0) - 0x30 }
        let (yy, mm, dd) = (n[0] * 10 + n[1], n[2] * 10 + n[3], n[4] * 10 + n[5])
        guard yy >= 1 else { return [] }
        return JapaneseEra.allCases.compactMap { era in
            guard let date = JapanDate(year: era.firstDay.year + yy - 1, month: mm, day: dd),
                JapaneseEra(containing: date) == era
            else { return nil }
            return date
        }
    }

    /// `YYMMDD` with the era year: what the card-face key `0011` and the first six digits of
    /// 照合番号B are. Nil when the era year has three digits (no living person's).
    public var yymmdd: String? {
        guard eraYear < 100 else { return nil }
        return Self.two(eraYear) + Self.two(date.month) + Self.two(date.day)
    }

    /// `昭和55年2月17日`, for staff.
    public var japanese: String { "\(era.kanji)\(eraYear == 1 ? "元" : String(eraYear))年\(date.month)月\(date.day)日" }

    private static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : String(n) }
}
