import CardSimulator
import ISO7816
import JapaneseCalendar
import Testing

@testable import MyNumberCard

/// The keys of the card-text and card-face APs, the two JUKI PINs and 照合番号B (reference 1, 3,
/// 5a, 5c).
@Suite("Card data keys: what each opens, era birth dates, JUKI PINs")
struct CardDataKeysTests {
    static let today = JapanDate(year: 2026, month: 12, day: 5)!

    // MARK: 照合番号B

    @Test func theReferenceExampleIsBuiltWithTheEraYear() throws {
        // The JPKI test card (reference 5c): born 1980-02-17 (昭和55), expiry 2035, code 2285.
        let digits = try VerificationCodeB.digits(
            birthDate: JapanDate(iso: "1980-02-17")!, expiryYear: 2035, securityCode: "2285", today: Self.today)
        #expect(digits == "55021720352285")
        let pin = try VerificationCodeB.pin(
            birthDate: JapanDate(iso: "1980-02-17")!, expiryYear: 2035, securityCode: "2285", for: .cardTextPINB,
            today: Self.today)
        #expect(pin.kind == .cardTextPINB)
        #expect(pin.hasSameValue(as: try PIN("55021720352285", for: .cardTextPINB, today: Self.today)))
        #expect(
            try VerificationCodeB.birthDatePIN(JapanDate(iso: "1980-02-17")!, today: Self.today).kind
                == .cardFaceBirthDate)
    }

    @Test func localChecksRefuseWhatCouldNeverBeRight() {
        let birth = JapanDate(iso: "1980-02-17")!
        for (year, code) in [(2015, "2285"), (2038, "2285"), (2035, "228"), (2035, "22a5"), (2035, "22855")] {
            #expect(throws: CardError.self) {
                try VerificationCodeB.digits(birthDate: birth, expiryYear: year, securityCode: code, today: Self.today)
            }
        }
        #expect(throws: CardError.self) {
            try VerificationCodeB.digits(
                birthDate: JapanDate(iso: "2027-01-01")!, expiryYear: 2035, securityCode: "2285", today: Self.today)
        }
        // Raw digits: the Gregorian 800217 is no era date in the past; 550217 is.
        #expect(throws: CardError.self) { try PIN("80021720352285", for: .cardFacePINB, today: Self.today) }
        #expect(throws: CardError.self) { try PIN("55021720152285", for: .cardFacePINB, today: Self.today) }
        #expect(throws: CardError.self) { try PIN("800217", for: .cardFaceBirthDate, today: Self.today) }
        #expect(throws: Never.self) { try PIN("550217", for: .cardFaceBirthDate, today: Self.today) }
    }

    // MARK: Card text: what each credential opens

    static func reads(_ sim: SimulatedCard) -> Int { sim.trace.filter { $0.ins == 0xB0 }.count }

    @Test func pinAOpensOnlyTheMyNumber() async throws {
        let (sim, card) = try Fixtures.card()
        let pinA = try Fixtures.pin("123456789018", .cardTextPINA)
        let text = try await card.readCardText(pin: pinA, fields: [.myNumber])
        #expect(text.myNumber?.digits == "123456789018")
        #expect(text.name == nil)
        sim.clearTrace()
        // The default fields (the four attributes) are closed to PIN A: refused before any APDU.
        await #expect(throws: CardError.self) { try await card.readCardText(pin: pinA) }
        await #expect(throws: CardError.self) { try await card.readCardText(pin: pinA, fields: [.myNumber, .name]) }
        #expect(sim.trace.isEmpty)
    }

    @Test func pinBOpensOnlyTheFourAttributes() async throws {
        let (sim, card) = try Fixtures.card()
        let pinB = try Fixtures.pin(Scenario().cardFacePINB, .cardTextPINB)
        let text = try await card.readCardText(pin: pinB)
        #expect(text.name == Scenario().holder.name)
        #expect(text.myNumber == nil)
        sim.clearTrace()
        do {
            _ = try await card.readCardText(pin: pinB, fields: [.myNumber])
            Issue.record("PIN B read the my number")
        } catch let error as CardError {
            #expect(error.code == .credentialCannotOpen)
        }
        #expect(sim.trace.isEmpty)
    }

    @Test func theCardTextPINOpensEverything() async throws {
        let (_, card) = try Fixtures.card()
        let text = try await card.readCardText(
            pin: try Fixtures.pin("1234", .cardText), fields: Set(CardText.Field.allCases))
        #expect(text.myNumber != nil && text.name != nil && text.sex != nil)
    }

    @Test func theBirthDateKeyDoesNotOpenTheCardFace() async throws {
        let (sim, card) = try Fixtures.card()
        await #expect(throws: CardError.self) {
            try await card.readCardFace(pin: try Fixtures.pin("020102", .cardFaceBirthDate))
        }
        #expect(sim.trace.isEmpty)
        // It is a key of its own: verified with the era digits of 1990-01-02 (平成2).
        try await card.verify(try Fixtures.pin("020102", .cardFaceBirthDate), confirmFinalAttempt: false)
    }

    @Test func theCardFaceOpensWithCodeBBuiltFromItsParts() async throws {
        let (_, card) = try Fixtures.card()
        let holder = Scenario().holder
        let pin = try VerificationCodeB.pin(
            birthDate: JapanDate(iso: holder.birthDate)!, expiryYear: 2035, securityCode: holder.securityCodeValue)
        let face = try await card.readCardFace(pin: pin)
        #expect(face.birthDate == "19900102")
    }

    // MARK: Counters

    @Test func theSummaryReadsBothJUKIPINsAndTheBirthDateKeyButNotKey0012() async throws {
        let (sim, card) = try Fixtures.card("juki-pins-differ")
        let summary = try await card.readSummary()
        #expect(summary.pin(.juki)?.remaining == 3)
        #expect(summary.pin(.jukiAP)?.remaining == 1)
        #expect(summary.pin(.cardFaceBirthDate)?.remaining == Scenario.cardDataMaxTries)
        #expect(summary.pins.allSatisfy { !$0.isBlocked })
        // The JUKI AP was selected by its own AID; the card-text key 0012 (blocked) was never read.
        #expect(sim.trace.contains { $0.command.hasPrefix("00 A4 04 0C 0A D3 92 10 00 31 00 01 01 04 01") })
        var inCardText = false
        var touched0012 = false
        for entry in sim.trace {
            if entry.command.hasPrefix("00 A4 04 0C") { inCardText = entry.command.hasSuffix("01 01 04 08") }
            if inCardText, entry.command == "00 20 00 92" || entry.command == "00 A4 02 0C 02 00 12" {
                touched0012 = true
            }
        }
        #expect(!touched0012)
    }

    @Test func theJUKIPINsAreVerifiedSeparately() async throws {
        let (sim, card) = try Fixtures.card { $0.jukiAPPIN = "5555" }
        try await card.verify(try Fixtures.pin("5555", .jukiAP), confirmFinalAttempt: false)
        await #expect(throws: CardError.wrongPIN(.juki, triesLeft: 2)) {
            try await card.verify(try Fixtures.pin("5555", .juki), confirmFinalAttempt: false)
        }
        #expect(sim.image.remainingTries(0x001C, in: "juki") == 2)
        #expect(sim.image.remainingTries(0x001C, in: "juki-ap") == 3)
    }

    @Test(arguments: [false, true])
    func aBlockedKeyIsBlockedWhetherItAnswers63C0Or6984(_ answers6984: Bool) async throws {
        let (sim, card) = try Fixtures.card("juki-ap-blocked") { $0.blockedAnswers6984 = answers6984 }
        let status = try await card.pinStatus(.jukiAP)
        #expect(status.isBlocked)
        #expect(sim.trace.last?.statusWord == (answers6984 ? 0x6984 : 0x63C0))
        await #expect(throws: CardError.pinBlocked(.jukiAP)) {
            try await card.verify(try Fixtures.pin("1234", .jukiAP), confirmFinalAttempt: true)
        }
        #expect(!sim.trace.contains { $0.ins == 0x20 && $0.dataLength > 0 })
    }
}
