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
        // The error names the key the code was meant for.
        #expect(throws: CardError.pinFormat(.cardTextPINB, "the security code is the 4 digits printed on the card")) {
            try VerificationCodeB.pin(
                birthDate: birth, expiryYear: 2035, securityCode: "22a5", for: .cardTextPINB, today: Self.today)
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

    // MARK: Detection

    @Test(arguments: [
        "3B 88 80 01 00 00 05 E0 B3 81 A1 00 7F", "3B 80 80 01 01", "3B 8F 80 01 80 4F 0C A0 00 00 03 06",
    ])
    func detectionGoesByAIDAndTokenLabelNotByATR(_ atr: String) async throws {
        // A contactless reader builds the ATR itself: any ATR, the same card.
        let (sim, card) = try Fixtures.card { $0.atr = atr }
        let (kind, label) = try await card.detect()
        #expect(kind == .myNumberCard)
        #expect(label == "JPKIAPICCTOKEN2")
        // The 160-byte token file: only its 32-byte label is read.
        #expect(sim.image.file(0x0006)?.count == 160)
        #expect(sim.trace.contains { $0.command.hasSuffix(" 20") && $0.ins == 0xB0 })
    }

    // MARK: The file that proves a key closed

    @Test func eachKeyOpensItsProtectedFileAndNothingElseDoes() throws {
        let values: [PINKind: String] = [
            .sign: "ABC123", .cardText: "1234", .cardTextPINA: "123456789018", .cardTextPINB: Scenario().cardFacePINB,
            .cardFaceBirthDate: "020102", .cardFacePINA: "123456789018", .cardFacePINB: Scenario().cardFacePINB,
        ]
        #expect(PINKind.allCases.filter { $0.protectedFile == nil } == [.auth, .juki, .jukiAP])
        for kind in PINKind.allCases {
            guard let fid = kind.protectedFile else { continue }
            let sim = try SimulatedCard(image: try Fixtures.image())
            func send(_ apdu: [UInt8]) -> UInt16 {
                guard case .response(let r) = sim.process(apdu), r.count >= 2 else { return 0 }
                return UInt16(r[r.count - 2]) << 8 | UInt16(r[r.count - 1])
            }
            func selectFile(_ id: UInt16) -> UInt16 {
                send([0x00, 0xA4, 0x02, 0x0C, 0x02, UInt8(id >> 8), UInt8(id & 0xFF)])
            }
            #expect(send([0x00, 0xA4, 0x04, 0x0C, 0x0A] + kind.application.aid) == 0x9000)
            #expect(selectFile(fid) == 0x9000)
            #expect(send([0x00, 0xB0, 0x00, 0x00, 0x01]) == 0x6982, "\(kind): closed before the PIN")
            let value = Array(values[kind]!.utf8)
            #expect(selectFile(kind.fileID) == 0x9000)
            #expect(send([0x00, 0x20, 0x00, 0x80, UInt8(value.count)] + value) == 0x9000, "\(kind)")
            #expect(selectFile(fid) == 0x9000)
            #expect(send([0x00, 0xB0, 0x00, 0x00, 0x01]) == 0x9000, "\(kind): open after the PIN")
        }
    }
}
