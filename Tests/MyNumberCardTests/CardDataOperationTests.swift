import CardSimulator
import ISO7816
import Testing

@testable import MyNumberCard

@Suite("Card data on the simulated card: card text, card face, PIN change")
struct CardDataOperationTests {
    static let pinB = "02010220355678"

    /// VERIFY commands that carried a PIN, from the simulator's trace.
    static func pinVerifies(_ sim: SimulatedCard) -> Int {
        sim.trace.filter { $0.ins == 0x20 && $0.dataLength > 0 }.count
    }

    @Test func everyCardTextFieldIsReadBack() async throws {
        let (sim, card) = try Fixtures.card()
        let text = try await card.readCardText(
            pin: try Fixtures.pin("1234", .cardText), fields: Set(CardText.Field.allCases))
        let holder = Scenario().holder
        #expect(text.myNumber?.digits == holder.myNumber)
        #expect(text.name == holder.name)
        #expect(text.address == holder.address)
        #expect(text.birthDate?.iso == holder.birthDate)
        #expect(text.sex?.code == holder.sex)
        #expect(Self.pinVerifies(sim) == 1)
    }

    @Test func theMyNumberIsReadOnlyWhenAskedFor() async throws {
        let (sim, card) = try Fixtures.card()
        let text = try await card.readCardText(pin: try Fixtures.pin("1234", .cardText))
        #expect(text.myNumber == nil)
        #expect(text.name != nil)
        // EF 0001 was never read: no READ BINARY by SFI 1 and no SELECT of EF 0001.
        #expect(
            !sim.trace.contains { $0.command.hasPrefix("00 B0 81") || $0.command.hasPrefix("00 A4 02 0C 02 00 01") })
    }

    @Test func theCheckDigitIsChecked() async throws {
        let (_, card) = try Fixtures.card("my-number-corrupt")
        await #expect(throws: CardError.malformedResponse("the my number's check digit does not match")) {
            try await card.readCardText(pin: try Fixtures.pin("1234", .cardText), fields: [.myNumber])
        }
    }

    @Test func aLongAddressIsReadWhole() async throws {
        let (_, card) = try Fixtures.card("long-address")
        let text = try await card.readCardText(pin: try Fixtures.pin("1234", .cardText), fields: [.address])
        #expect(text.address == (try Scenario.preset(named: "long-address")).holder.address)
    }

    @Test func aWrongCardTextPINLowersItsCounter() async throws {
        let (sim, card) = try Fixtures.card()
        await #expect(throws: CardError.wrongPIN(.cardText, triesLeft: 2)) {
            try await card.readCardText(pin: try Fixtures.pin("9999", .cardText))
        }
        #expect(sim.image.remainingTries(0x0011, in: "card-text") == 2)
        #expect(try await card.pinStatus(.cardText).remaining == 2)
        // Nothing was read after the refused PIN: the one READ BINARY is the security check
        // after the power cycle, answered 69 82.
        #expect(sim.trace.filter { $0.ins == 0xB0 }.map(\.statusWord) == [0x6982])
    }

    @Test func aMalformedPINNeverReachesTheCard() async throws {
        let (sim, card) = try Fixtures.card()
        for (value, kind) in [
            ("12a4", PINKind.cardText), ("12345", .cardText), ("123456789019", .cardFacePINA),
            ("9001022035567", .cardFacePINB), ("90130220355678", .cardFacePINB),
            // The Gregorian birth date 1990-01-02 (900102) is no era date: it would burn a try.
            ("90010220355678", .cardFacePINB), ("90010220355678", .cardTextPINB), ("900102", .cardFaceBirthDate),
        ] {
            #expect(throws: CardError.pinFormat(kind, kind.formatRule)) { try PIN(value, for: kind) }
        }
        // A PIN of the wrong kind and an unchanged new PIN stop before the card too.
        await #expect(throws: CardError.self) {
            try await card.readCardFace(pin: try Fixtures.pin("1234", .cardText))
        }
        await #expect(throws: CardError.pinFormat(.auth, "the new PIN must differ from the current one")) {
            try await card.changePIN(current: try Fixtures.pin("1234", .auth), new: try Fixtures.pin("1234", .auth))
        }
        #expect(sim.trace.isEmpty)
    }

    @Test func theFinalTryIsGuarded() async throws {
        let (sim, card) = try Fixtures.card { $0.triesLeft["card-text"] = 1 }
        await #expect(throws: CardError.finalAttempt(.cardText)) {
            try await card.readCardText(pin: try Fixtures.pin("9999", .cardText))
        }
        #expect(Self.pinVerifies(sim) == 0)
        let text = try await card.readCardText(pin: try Fixtures.pin("1234", .cardText), confirmFinalAttempt: true)
        #expect(text.name != nil)
    }

    @Test func aBlockedPINIsNeverSent() async throws {
        let (sim, card) = try Fixtures.card("card-face-b-blocked")
        await #expect(throws: CardError.pinBlocked(.cardFacePINB)) {
            try await card.readCardFace(pin: try Fixtures.pin(Self.pinB, .cardFacePINB))
        }
        #expect(Self.pinVerifies(sim) == 0)
        // PIN A of the same AP still opens it.
        let face = try await card.readCardFace(pin: try Fixtures.pin("123456789018", .cardFacePINA))
        #expect(face.photoIsJPEG2000)
    }

    @Test(arguments: [("123456789018", PINKind.cardFacePINA), (pinB, .cardFacePINB)])
    func theCardFaceIsReadWithPINAOrPINB(_ value: String, _ kind: PINKind) async throws {
        let (sim, card) = try Fixtures.card()
        let face = try await card.readCardFace(pin: try Fixtures.pin(value, kind))
        #expect(face.photoIsJPEG2000)
        #expect(face.photo == CardFace.jpeg2000Signature + Array(face.photo.dropFirst(8)))
        #expect(face.nameImage.starts(with: CardFace.pngSignature))
        #expect(face.birthDate == "19900102")
        #expect(face.expiry == "20350102")
        let ef = Array(sim.image.file(0x0002, in: "card-face")!)
        #expect(try CardFace.parse(ef) == face)
    }

    @Test(arguments: [
        (PINKind.auth, "1234", "8642"), (.sign, "ABC123", "XYZ789A"), (.cardText, "1234", "4321"),
    ])
    func changingAPINReplacesIt(_ kind: PINKind, _ old: String, _ new: String) async throws {
        let (sim, card) = try Fixtures.card()
        try await card.changePIN(current: try Fixtures.pin(old, kind), new: try Fixtures.pin(new, kind))
        #expect(sim.trace.filter { $0.ins == 0x24 }.map(\.statusWord) == [0x9000])
        await #expect(throws: CardError.wrongPIN(kind, triesLeft: kind.maxTries - 1)) {
            try await card.verify(try Fixtures.pin(old, kind), confirmFinalAttempt: false)
        }
        try await card.verify(try Fixtures.pin(new, kind), confirmFinalAttempt: false)
    }

    @Test func aRefusedChangeReportsTheStatusAndThatTheOldPINStands() async throws {
        let (sim, base) = try Fixtures.card()
        let transport = InterceptingTransport(SimulatedCardTransport(card: sim)) { command in
            command.ins == 0x24 ? [0x67, 0x00] : nil
        }
        let card = MyNumberCard(transport: transport)
        await #expect(throws: CardError.pinChangeFailed(.auth, StatusWord(0x6700), oldPINStands: true)) {
            try await card.changePIN(current: try Fixtures.pin("1234", .auth), new: try Fixtures.pin("8642", .auth))
        }
        #expect(transport.sent.filter { $0.ins == 0x24 }.count == 1, "never retried")
        let unknown = MyNumberCard(
            transport: InterceptingTransport(SimulatedCardTransport(card: sim)) { command in
                command.ins == 0x24 ? [0x65, 0x81] : nil
            })
        await #expect(throws: CardError.pinChangeFailed(.auth, StatusWord(0x6581), oldPINStands: nil)) {
            try await unknown.changePIN(current: try Fixtures.pin("1234", .auth), new: try Fixtures.pin("8642", .auth))
        }
        try await base.verify(try Fixtures.pin("1234", .auth), confirmFinalAttempt: false)
    }

    @Test func aBlockedPINCannotBeChanged() async throws {
        let (sim, card) = try Fixtures.card("auth-blocked")
        await #expect(throws: CardError.pinBlocked(.auth)) {
            try await card.changePIN(current: try Fixtures.pin("1234", .auth), new: try Fixtures.pin("8642", .auth))
        }
        #expect(!sim.trace.contains { $0.ins == 0x24 })
    }

    @Test func theSummaryReadsAllEightCounters() async throws {
        let (_, card) = try Fixtures.card("card-face-b-blocked")
        let summary = try await card.readSummary()
        #expect(summary.pins.map(\.kind) == PINKind.allCases)
        #expect(summary.pin(.cardFacePINB)?.state == .blocked)
        #expect(summary.pin(.cardFacePINA)?.remaining == 5)
        #expect(summary.pin(.cardTextPINB)?.remaining == 5)
        #expect(summary.pin(.cardFacePINA)?.knownMaxTries == nil, "the card does not report it")
    }

    @Test func descriptionsNeverShowCardData() async throws {
        let (_, card) = try Fixtures.card()
        let text = try await card.readCardText(
            pin: try Fixtures.pin("1234", .cardText), fields: Set(CardText.Field.allCases))
        let pinA = try Fixtures.pin("123456789018", .cardFacePINA)
        for shown in ["\(text)", "\(pinA)", String(reflecting: pinA)] {
            #expect(!shown.contains("1234"))
            #expect(!shown.contains("花子"))
        }
    }
}
