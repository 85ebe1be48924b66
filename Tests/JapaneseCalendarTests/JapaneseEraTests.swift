import Testing

@testable import JapaneseCalendar

/// The one era table (reference 5c): every boundary, and the day before it.
@Suite("Japanese eras")
struct JapaneseEraTests {
    static func date(_ iso: String) -> JapanDate { JapanDate(iso: iso)! }

    @Test(
        arguments: [
            // Showa began 1926-12-25; the day before is Taisho 15.
            ("1926-12-24", JapaneseEra.taisho, 15, "151224"),
            ("1926-12-25", .showa, 1, "011225"),
            // Heisei began 1989-01-08; 1989-01-07 is Showa 64.
            ("1989-01-07", .showa, 64, "640107"),
            ("1989-01-08", .heisei, 1, "010108"),
            // Reiwa began 2019-05-01; 2019-04-30 is Heisei 31.
            ("2019-04-30", .heisei, 31, "310430"),
            ("2019-05-01", .reiwa, 1, "010501"),
            // Taisho began 1912-07-30; 1912-07-29 is Meiji 45.
            ("1912-07-29", .meiji, 45, "450729"),
            ("1912-07-30", .taisho, 1, "010730"),
            // The JPKI test card's holder (reference 5c): 昭和55 → 550217.
            ("1980-02-17", .showa, 55, "550217"),
            ("1990-01-02", .heisei, 2, "020102"),
        ])
    func eraAtBoundaries(iso: String, era: JapaneseEra, year: Int, digits: String) {
        let eraDate = JapaneseEraDate(Self.date(iso))
        #expect(eraDate?.era == era)
        #expect(eraDate?.eraYear == year)
        #expect(eraDate?.yymmdd == digits)
    }

    @Test func beforeMeijiThereIsNoEraDate() {
        #expect(JapaneseEraDate(Self.date("1868-01-24")) == nil)
        #expect(JapaneseEraDate(Self.date("1868-01-25"))?.era == .meiji)
        // Meiji 100 and later have three digits: no two-digit code.
        #expect(JapaneseEraDate(Self.date("1868-01-25"))?.yymmdd == "010125")
    }

    @Test func eraCodesAreTheJPKIDigits() {
        #expect(JapaneseEra.allCases.map(\.rawValue) == [1, 2, 3, 4, 5])
        #expect(JapaneseEra.allCases.map(\.kanji) == ["明治", "大正", "昭和", "平成", "令和"])
    }

    @Test func digitsBackToDates() {
        // 550217 is Showa 55, or Reiwa 55 (2073: not a birth date yet).
        #expect(JapaneseEraDate.candidates(yymmdd: "550217") == [Self.date("1980-02-17"), Self.date("2073-02-17")])
        // A Western 800217: no era has a year 80 before Reiwa 80 (2098).
        #expect(JapaneseEraDate.candidates(yymmdd: "800217") == [Self.date("2098-02-17")])
        // 010108 is Heisei 1 only (Showa 1 has no January 8; Reiwa 1 began in May).
        #expect(JapaneseEraDate.candidates(yymmdd: "010108") == [Self.date("1989-01-08")])
        // Showa 64 ended on January 7: only Reiwa 64 (2082) has a 64-01-08.
        #expect(JapaneseEraDate.candidates(yymmdd: "640108") == [Self.date("2082-01-08")])
        #expect(JapaneseEraDate.candidates(yymmdd: "020230").isEmpty)
        #expect(JapaneseEraDate.candidates(yymmdd: "00010").isEmpty)
        #expect(JapaneseEraDate.candidates(yymmdd: "000101").isEmpty)
    }

    @Test func japaneseText() {
        #expect(JapaneseEraDate(Self.date("1980-02-17"))?.japanese == "昭和55年2月17日")
        #expect(JapaneseEraDate(Self.date("2019-05-01"))?.japanese == "令和元年5月1日")
    }
}
