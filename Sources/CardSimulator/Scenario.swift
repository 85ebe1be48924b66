import Foundation
import ISO7816
import JapaneseCalendar

/// How a simulated card is set up: PINs, tries left, certificates, token, holder data.
///
/// Named presets (``preset(named:)``) cover the cases tests and demos need; a JSON file can set
/// any field, and absent fields keep the default card's values.
public struct Scenario: Codable, Sendable, Equatable {
    /// What EF 0006 and the application list say the card is.
    public enum Token: String, Codable, Sendable, CaseIterable {
        /// `JPKIAPICCTOKEN2`.
        case myNumberCard = "my-number-card"
        /// `JPKIAPICCTOKEN`: an old basic resident register card (no card-text application).
        case jukiCard = "juki-card"
        /// The JPKI AID selects but there is no token file.
        case nonJPKI = "non-jpki"
        /// No JPKI application at all (SELECT answers `6A 82`).
        case noJPKIApplication = "no-jpki-application"
    }

    /// The fictional holder written into the sign certificate and the card-text application.
    public struct Holder: Codable, Sendable, Equatable {
        public var name = "デジタル　花子"
        public var address = "東京都千代田区霞が関二丁目一番二号"
        /// Gregorian `YYYY-MM-DD`.
        public var birthDate = "1990-01-02"
        /// ISO 5218: 1 male, 2 female, 3 unknown.
        public var sex = "2"
        public var myNumber = "123456789018"
        /// The 4-digit security code printed on the card (part of PIN B); default `5678`.
        public var securityCode: String?
        /// The card's own expiry `YYYY-MM-DD` (its year is part of PIN B); default `2035-01-02`.
        public var cardExpiry: String?
        public init() {}
    }

    public var name = "default"
    public var token = Token.myNumberCard
    public var authPIN = "1234"
    public var signPIN = "ABC123"
    public var cardTextPIN = "1234"
    /// The common-card AP's PIN at 001C (jpkid's `juki`).
    public var jukiPIN = "1234"
    /// The JUKI AP's own PIN at 001C (jpkid's `juki-ap`); default: the same as ``jukiPIN``, as
    /// citizens set them.
    public var jukiAPPIN: String?
    /// Tries left per PIN: keys `auth`, `sign`, `card-text`, `juki`, `juki-ap` and the card-data
    /// keys `card-text-a`, `card-text-b`, `card-face-birth-date`, `card-face-a`, `card-face-b`.
    public var triesLeft: [String: Int] = [:]
    /// False for a child's card: no sign certificate, no sign key, no sign PIN.
    public var signCertificate = true
    /// Last valid day (Japan time) of the auth certificate, `YYYY-MM-DD`; default 5 years ahead.
    public var authExpiry: String?
    /// Last valid day of the sign certificate; default: the auth certificate's.
    public var signExpiry: String?
    /// First valid day of both certificates; default: 30 days ago.
    public var issued: String?
    public var holder = Holder()
    /// The ATR in hex; default a contactless My Number card ATR from pcsc-tools' list.
    public var atr = "3B 88 80 01 00 00 05 E0 B3 81 A1 00 7F"
    /// The empty VERIFY answers `90 00` while its PIN is verified, as ISO 7816-4 allows; real
    /// JPKI cards answer `63 Cx` (false).
    public var isoVerifyStatus = false
    /// Extended-length APDUs reach the card; false answers them `67 00`, like a reader or card
    /// that cannot carry them.
    public var extendedLength = true
    /// A faulty card: the auth certificate file (EF 000A) holds the sign certificate and the
    /// sign certificate file (EF 0001) the auth certificate. The keys stay where they are.
    public var swapCertificates = false
    /// How the signed card data (reference 13) deviates from a genuine card; nil: it does not.
    /// Takes effect only on a card built with a ``CVCHierarchy``.
    public var genuineCheck: CardBuilder.GenuineScenario?
    /// The empty VERIFY on a blocked key answers `69 84` (as some code expects) instead of the
    /// `63 C0` real cards answer.
    public var blockedAnswers6984 = false
    /// How the card and its reader treat power-down and warm reset; absent: as physical cards
    /// (a warm reset keeps verified PINs, only a power-down clears them).
    public var power: SimulatedCard.Power?

    public init() {}

    /// The maximum tries of each PIN.
    public static let maxTries = ["auth": 3, "sign": 5, "card-text": 3, "juki": 3, "juki-ap": 3].merging(
        cardDataPINTries
    ) { $1 }

    /// The JUKI AP's PIN as set.
    public var jukiAPPINValue: String { jukiAPPIN ?? jukiPIN }

    public func tries(_ pin: String) -> Int { triesLeft[pin] ?? Self.maxTries[pin] ?? 3 }

    /// The names accepted by ``preset(named:)``.
    public static let presetNames = [
        "default", "child", "juki-card", "non-jpki", "no-jpki", "auth-blocked", "sign-blocked",
        "auth-final-try", "sign-final-try", "renewable", "expired", "not-yet-valid", "iso-verify-status",
        "short-apdus-only", "juki-ap-blocked", "juki-pins-differ", "blocked-answers-6984",
    ]

    /// A named scenario relative to `now`.
    public static func preset(named name: String, now: Date = Date()) throws(SimulatorError) -> Scenario {
        var s = Scenario()
        s.name = name
        let today = SimDate(now)
        if s.applyCardDataPreset(name) { return s }
        if let genuine = CardBuilder.GenuineScenario(rawValue: name), genuine != .genuine {
            s.genuineCheck = genuine
            return s
        }
        switch name {
        case "default": break
        case "child": s.signCertificate = false
        case "juki-card": s.token = .jukiCard
        case "non-jpki": s.token = .nonJPKI
        case "no-jpki": s.token = .noJPKIApplication
        case "auth-blocked": s.triesLeft["auth"] = 0
        case "sign-blocked": s.triesLeft["sign"] = 0
        case "auth-final-try": s.triesLeft["auth"] = 1
        case "sign-final-try": s.triesLeft["sign"] = 1
        case "renewable": s.authExpiry = today.adding(days: 45).description
        case "expired":
            s.issued = today.adding(days: -5 * 365).description
            s.authExpiry = today.adding(days: -10).description
        case "not-yet-valid": s.issued = today.adding(days: 3).description
        case "iso-verify-status": s.isoVerifyStatus = true
        case "short-apdus-only": s.extendedLength = false
        case "juki-ap-blocked": s.triesLeft["juki-ap"] = 0
        case "juki-pins-differ": s.triesLeft["juki-ap"] = 1
        case "blocked-answers-6984":
            s.blockedAnswers6984 = true
            s.triesLeft["auth"] = 0
        default:
            throw .invalidScenario(
                "unknown scenario '\(name)'; known: \(presetNames.joined(separator: ", "))")
        }
        return s
    }

    /// Loads a JSON scenario file; fields it leaves out keep their defaults.
    public static func load(from url: URL) throws(SimulatorError) -> Scenario {
        do {
            return try JSONDecoder().decode(Scenario.self, from: Data(contentsOf: url))
        } catch let error as DecodingError {
            throw .invalidScenario("\(url.path): \(Self.describe(error))")
        } catch {
            throw .invalidScenario("\(url.path): \(error.localizedDescription)")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .keyNotFound(_, let c), .dataCorrupted(let c):
            let path = c.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? c.debugDescription : "\(path): \(c.debugDescription)"
        @unknown default:
            return "invalid JSON"
        }
    }

    private enum CodingKeys: String, CodingKey {
        case name, token, authPIN, signPIN, cardTextPIN, jukiPIN, jukiAPPIN, triesLeft, signCertificate
        case authExpiry, signExpiry, issued, holder, atr, isoVerifyStatus, extendedLength
        case swapCertificates, genuineCheck, blockedAnswers6984, power
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = Scenario()
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? d.name
        token = try c.decodeIfPresent(Token.self, forKey: .token) ?? d.token
        authPIN = try c.decodeIfPresent(String.self, forKey: .authPIN) ?? d.authPIN
        signPIN = try c.decodeIfPresent(String.self, forKey: .signPIN) ?? d.signPIN
        cardTextPIN = try c.decodeIfPresent(String.self, forKey: .cardTextPIN) ?? d.cardTextPIN
        jukiPIN = try c.decodeIfPresent(String.self, forKey: .jukiPIN) ?? d.jukiPIN
        jukiAPPIN = try c.decodeIfPresent(String.self, forKey: .jukiAPPIN)
        triesLeft = try c.decodeIfPresent([String: Int].self, forKey: .triesLeft) ?? d.triesLeft
        signCertificate = try c.decodeIfPresent(Bool.self, forKey: .signCertificate) ?? d.signCertificate
        authExpiry = try c.decodeIfPresent(String.self, forKey: .authExpiry)
        signExpiry = try c.decodeIfPresent(String.self, forKey: .signExpiry)
        issued = try c.decodeIfPresent(String.self, forKey: .issued)
        holder = try c.decodeIfPresent(Holder.self, forKey: .holder) ?? d.holder
        atr = try c.decodeIfPresent(String.self, forKey: .atr) ?? d.atr
        isoVerifyStatus = try c.decodeIfPresent(Bool.self, forKey: .isoVerifyStatus) ?? d.isoVerifyStatus
        extendedLength = try c.decodeIfPresent(Bool.self, forKey: .extendedLength) ?? d.extendedLength
        swapCertificates = try c.decodeIfPresent(Bool.self, forKey: .swapCertificates) ?? d.swapCertificates
        genuineCheck = try c.decodeIfPresent(CardBuilder.GenuineScenario.self, forKey: .genuineCheck)
        blockedAnswers6984 = try c.decodeIfPresent(Bool.self, forKey: .blockedAnswers6984) ?? d.blockedAnswers6984
        power = try c.decodeIfPresent(SimulatedCard.Power.self, forKey: .power)
    }

    /// Checks the values a card cannot be built from.
    public func validate() throws(SimulatorError) {
        if swapCertificates && !signCertificate {
            throw .invalidScenario("swapCertificates needs a sign certificate")
        }
        for key in triesLeft.keys {
            guard let max = Self.maxTries[key] else {
                throw .invalidScenario(
                    "triesLeft has unknown PIN '\(key)'; use \(Self.maxTries.keys.sorted().joined(separator: ", "))")
            }
            guard (0...max).contains(triesLeft[key]!) else {
                throw .invalidScenario("triesLeft.\(key) must be 0...\(max)")
            }
        }
        for (field, value) in [("authExpiry", authExpiry), ("signExpiry", signExpiry), ("issued", issued)] {
            if let value, SimDate(iso: value) == nil {
                throw .invalidScenario("\(field) '\(value)' is not a YYYY-MM-DD date")
            }
        }
        guard let birth = JapanDate(iso: holder.birthDate),
            JapaneseEraDate(birth)?.yymmdd != nil
        else {
            throw .invalidScenario(
                "holder.birthDate '\(holder.birthDate)' is not a YYYY-MM-DD date with a two-digit era year")
        }
        guard let expiry = JapanDate(iso: holder.cardExpiryDate), expiry.year >= 1000 else {
            throw .invalidScenario("holder.cardExpiry '\(holder.cardExpiryDate)' is not a YYYY-MM-DD date")
        }
        guard holder.securityCodeValue.utf8.count == 4, holder.securityCodeValue.allSatisfy(\.isASCII),
            holder.securityCodeValue.allSatisfy(\.isNumber)
        else {
            throw .invalidScenario("holder.securityCode must be 4 digits")
        }
        guard let atrBytes = [UInt8](hex: atr), (2...33).contains(atrBytes.count) else {
            throw .invalidScenario("atr must be 2 to 33 bytes of hex")
        }
        for (field, value) in [
            ("authPIN", authPIN), ("cardTextPIN", cardTextPIN), ("jukiPIN", jukiPIN), ("jukiAPPIN", jukiAPPINValue),
            ("signPIN", signPIN),
        ] {
            guard !value.isEmpty, value.utf8.count <= 16, value.allSatisfy(\.isASCII) else {
                throw .invalidScenario("\(field) must be 1 to 16 ASCII characters")
            }
        }
    }
}

/// A Gregorian date in Japan time, for the simulator's own date arithmetic.
struct SimDate: CustomStringConvertible {
    let year: Int, month: Int, day: Int
    static let calendar: Calendar = {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(secondsFromGMT: 9 * 3600)!
        return c
    }()

    init(_ date: Date) {
        let p = Self.calendar.dateComponents([.year, .month, .day], from: date)
        (year, month, day) = (p.year!, p.month!, p.day!)
    }

    init?(iso: String) {
        let parts = iso.split(separator: "-")
        guard parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
            let date = Self.calendar.date(from: DateComponents(year: y, month: m, day: d)),
            Self.calendar.component(.day, from: date) == d
        else { return nil }
        (year, month, day) = (y, m, d)
    }

    var startOfDay: Date { Self.calendar.date(from: DateComponents(year: year, month: month, day: day))! }
    /// 23:59:59 Japan time: how JPKI certificates end their validity.
    var endOfDay: Date { startOfDay.addingTimeInterval(86_399) }
    func adding(days: Int) -> SimDate { SimDate(Self.calendar.date(byAdding: .day, value: days, to: startOfDay)!) }
    func adding(years: Int) -> SimDate { SimDate(Self.calendar.date(byAdding: .year, value: years, to: startOfDay)!) }

    var description: String {
        String(format: "%04d-%02d-%02d", year, month, day)
    }
}
