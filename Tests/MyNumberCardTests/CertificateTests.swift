import CardSimulator
import Foundation
import JapaneseCalendar
import Testing

@testable import MyNumberCard

@Suite("Renewal window (seed 003) and Japan dates")
struct RenewalRuleTests {
    func date(_ s: String) -> JapanDate { JapanDate(iso: s)! }

    @Test(arguments: [
        ("2025-07-07", "2025-04-08"),  // seed example 1
        ("2025-05-29", "2025-03-01"),  // seed example 2: no 2025-02-29
        ("2025-05-28", "2025-03-01"),  // 2025-02-28 exists; its next day
        ("2025-05-31", "2025-03-01"),  // no 2025-02-31
        ("2024-05-29", "2024-03-01"),  // leap year: 2024-02-29 exists; next day
        ("2024-05-30", "2024-03-01"),  // no 2024-02-30
        ("2024-05-28", "2024-02-29"),  // leap day itself
        ("2025-07-31", "2025-05-01"),  // no 2025-04-31
        ("2025-06-30", "2025-03-31"),
        ("2026-01-15", "2025-10-16"),  // across the year
        ("2026-03-31", "2026-01-01"),  // 2025-12-31 → next day is in the next year
        ("2025-12-31", "2025-10-01"),  // no 2025-09-31
        ("2100-05-29", "2100-03-01"),  // 2100 is not a leap year
        ("2000-05-29", "2000-03-01"),  // 2000 is; 2000-02-29 + 1 day
    ])
    func renewableFrom(_ expiry: String, _ from: String) {
        #expect(RenewalRule.renewableFrom(expiry: date(expiry)) == date(from))
    }

    @Test func invalidDatesDoNotExist() {
        #expect(JapanDate(year: 2025, month: 2, day: 29) == nil)
        #expect(JapanDate(year: 2024, month: 2, day: 29) != nil)
        #expect(JapanDate(year: 2025, month: 13, day: 1) == nil)
        #expect(JapanDate(iso: "2025-1-01") == nil)
        #expect(JapanDate(iso: "garbage") == nil)
    }

    @Test func instantsBecomeJapanDates() {
        // 14:59:59Z is 23:59:59 in Japan, 15:00:00Z is the next day.
        #expect(JapanDate(Date(timeIntervalSince1970: 1_751_900_399)) == date("2025-07-07"))
        #expect(JapanDate(Date(timeIntervalSince1970: 1_751_900_400)) == date("2025-07-08"))
    }
}

@Suite("Certificate fields and status")
struct CertificateInfoTests {
    func certificate(_ configure: (inout Scenario) -> Void = { _ in }, slot: UInt16 = 0x000A) throws -> CertificateInfo
    {
        let image = try Fixtures.image("default", configure: configure)
        return try CertificateInfo(der: Array(image.file(slot)!))
    }

    @Test func fieldsOfTheAuthCertificate() throws {
        let info = try certificate {
            $0.authExpiry = "2030-07-07"; $0.issued = "2025-07-01"
        }
        #expect(info.issuer.contains("OU=JPKI for user authentication"))
        #expect(info.issuer.contains("O=JPKI"))
        #expect(info.subject.hasPrefix("CN="))
        let cn = info.subject.split(separator: ",").first!.dropFirst(3)
        #expect(cn.count == 20)
        #expect(info.sha256Fingerprint.count == 64)
        #expect(!info.serialNumber.isEmpty)
        #expect(info.expiryDate == JapanDate(iso: "2030-07-07"))
        #expect(info.renewableFrom == JapanDate(iso: "2030-04-08"))
        #expect(info.pem.hasPrefix("-----BEGIN CERTIFICATE-----\n"))
    }

    @Test func statusOverTime() throws {
        let info = try certificate {
            $0.authExpiry = "2030-07-07"; $0.issued = "2025-07-01"
        }
        func at(_ iso: String, _ hour: Int = 12) -> Date {
            JapanDate(iso: iso)!.startInstant.addingTimeInterval(Double(hour) * 3600)
        }
        #expect(info.status(at: at("2025-06-30")) == .notYetValid)
        #expect(info.status(at: at("2025-07-01")) == .valid)
        #expect(info.status(at: at("2030-04-07", 23)) == .valid)
        #expect(info.status(at: at("2030-04-08", 0)) == .renewable)
        #expect(info.status(at: at("2030-07-07", 23)) == .renewable)
        #expect(info.status(at: at("2030-07-08", 0)) == .expired)
        #expect(info.daysUntilExpiry(from: at("2030-07-01")) == 6)
        #expect(info.daysUntilExpiry(from: at("2030-07-09")) == -2)
    }

    @Test func signCertificatePersonalData() throws {
        let image = try Fixtures.image()
        let data = try SignCertificatePersonalData(certificateDER: Array(image.file(0x0001)!))
        #expect(data.name == "デジタル　花子")
        #expect(data.address == "東京都千代田区霞が関二丁目一番二号")
        #expect(data.birthDateRaw == "419900102")
        #expect(data.birthDate == JapanDate(iso: "1990-01-02"))
        #expect(data.sex == "2")
        var dumped = ""
        dump(data, to: &dumped)
        for text in [data.description, "\(data)", dumped] {
            #expect(!text.contains("花子"))
            #expect(!text.contains("1990"))
        }
    }

    @Test func birthDateShapes() {
        #expect(SignCertificatePersonalData.parseBirthDate("319800217") == JapanDate(iso: "1980-02-17"))
        #expect(SignCertificatePersonalData.parseBirthDate("31980021") == nil)
        #expect(SignCertificatePersonalData.parseBirthDate("319801317") == nil)
    }

    @Test func garbageIsAnError() {
        #expect(throws: CardError.self) { try CertificateInfo(der: [0x30, 0x03, 0x02, 0x01, 0x00]) }
    }
}
