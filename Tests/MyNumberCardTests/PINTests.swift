import CardSimulator
import ErrorCodes
import ISO7816
import Testing

@testable import MyNumberCard

@Suite("PIN format rules")
struct PINFormatTests {
    @Test(arguments: ["0000", "1234", "9876"])
    func fourDigitPINsAccepted(_ value: String) throws {
        for kind in [PINKind.auth, .cardText, .juki] {
            #expect(try PIN(value, for: kind).bytes == Array(value.utf8))
        }
    }

    @Test(arguments: ["", "123", "12345", "12a4", "１２３４", " 1234", "1234\n", "12.4"])
    func fourDigitPINsRejected(_ value: String) {
        for kind in [PINKind.auth, .cardText, .juki] {
            #expect(throws: CardError.pinFormat(kind, kind.formatRule)) { try PIN(value, for: kind) }
        }
    }

    @Test(arguments: ["ABC123", "A1B2C3D4E5F6G7H8", "1A2B3C", "abc123", "Abc123"])
    func signPINsAccepted(_ value: String) throws {
        let pin = try PIN(value, for: .sign)
        #expect(pin.bytes == Array(value.uppercased().utf8))
    }

    @Test(arguments: [
        "ABCDEF", "123456", "AB12", "A1B2C3D4E5F6G7H8I", "ABC 123", "ABC-123", "ßBC123", "ＡＢＣ１２３", "",
    ])
    func signPINsRejected(_ value: String) {
        #expect(throws: CardError.pinFormat(.sign, PINKind.sign.formatRule)) { try PIN(value, for: .sign) }
    }

    @Test func pinValueNeverShows() throws {
        let pin = try PIN("ABC123", for: .sign)
        var dumped = ""
        dump(pin, to: &dumped)
        for text in [pin.description, pin.debugDescription, "\(pin)", String(reflecting: pin), dumped] {
            #expect(!text.contains("ABC123"))
        }
        do {
            _ = try PIN("SECRET99X", for: .auth)
        } catch {
            #expect(!error.message.contains("SECRET99X"))
            #expect(error.code == .pinFormat)
        }
    }

    @Test func maxTries() {
        #expect(PINKind.auth.maxTries == 3)
        #expect(PINKind.sign.maxTries == 5)
        #expect(PINKind.cardText.maxTries == 3)
        #expect(PINKind.juki.maxTries == 3)
    }
}

@Suite("PIN status words, against a scripted card")
struct PINStatusWordTests {
    /// Answers SELECTs with 90 00 and the empty VERIFY with `sw`.
    func card(answering sw: UInt16, shortForm: Bool = true) -> (MyNumberCard, InterceptingTransport) {
        let transport = InterceptingTransport(NeverTransport()) { command in
            switch command.ins {
            case 0xA4: return [0x90, 0x00]
            case 0x20 where command.p2 != 0x80 && !shortForm: return [0x6A, 0x86]
            case 0x20: return [UInt8(sw >> 8), UInt8(sw & 0xFF)]
            default: return [0x6D, 0x00]
            }
        }
        return (MyNumberCard(transport: transport), transport)
    }

    @Test(
        arguments: [
            (0x63C3, PINStatus.State.remaining(3)),
            (0x63C1, .remaining(1)),
            (0x63C0, .blocked),
            (0x6984, .blocked),
            (0x6983, .blocked),
            (0x9000, .verified),
        ] as [(UInt16, PINStatus.State)])
    func statusWordMapsToState(_ sw: UInt16, _ state: PINStatus.State) async throws {
        let (card, transport) = card(answering: sw)
        let status = try await card.pinStatus(.auth)
        #expect(status.state == state)
        // SELECT AP + the short-form empty VERIFY, nothing else; never data in a VERIFY.
        #expect(transport.sent.count == 2)
        #expect(transport.sent.allSatisfy { $0.ins != 0x20 || $0.data.isEmpty })
    }

    @Test func fallsBackToSelectWhenShortFormRefused() async throws {
        let (card, transport) = card(answering: 0x63C2, shortForm: false)
        let first = try await card.pinStatus(.sign)
        #expect(first.state == .remaining(2))
        #expect(transport.sent.map(\.ins) == [0xA4, 0x20, 0xA4, 0x20])
        #expect(transport.sent[2].data == [0x00, 0x1B])
        // The card's answer is remembered: the short form is not tried again.
        _ = try await card.pinStatus(.auth)
        #expect(transport.sent.map(\.ins).suffix(3) == [0xA4, 0xA4, 0x20])
    }

    @Test func unknownStatusIsAnErrorNotACrash() async throws {
        let (card, _) = card(answering: 0x6F00)
        await #expect(throws: CardError.self) { try await card.pinStatus(.juki) }
    }

    @Test(
        arguments: [
            (0x9000, VerifyOutcome.verified),
            (0x63C2, .wrongPIN(triesLeft: 2)),
            (0x63C0, .blocked),
            (0x6984, .blocked),
        ] as [(UInt16, VerifyOutcome)])
    func verifyOutcomes(_ sw: UInt16, _ outcome: VerifyOutcome) async throws {
        let (card, transport) = card(answering: sw)
        #expect(try await card.verifyOutcome(try PIN("1234", for: .auth)) == outcome)
        // SELECT AP, SELECT PIN EF, the empty VERIFY (the guard), then one VERIFY: never a retry;
        // then, after the power cycle, the selection check (SELECT PIN EF; the auth PIN opens no
        // readable file). This card answers that SELECT with 90 00 (state kept), so one more
        // SELECT, of another application, clears the state. A counter that already reads
        // blocked stops at the guard: nothing was sent that could need a power cycle.
        let guardStops = sw == 0x63C0 || sw == 0x6984
        #expect(
            transport.sent.map(\.ins) == (guardStops ? [0xA4, 0xA4, 0x20] : [0xA4, 0xA4, 0x20, 0x20, 0xA4, 0xA4]))
        if !guardStops { #expect(transport.sent.last?.data == CardApplication.cardFace.aid) }
        #expect(transport.sent.filter { $0.ins == 0x20 && !$0.data.isEmpty }.count == (guardStops ? 0 : 1))
    }
}

/// A transport whose APDUs must never be reached (wrap it to answer them); transactions pass.
struct NeverTransport: CardTransport {
    func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU {
        Issue.record("unexpected APDU \(command.redactedDescription)")
        return ResponseAPDU(statusWord: .noPreciseDiagnosis)
    }

    var extendedLength: ExtendedLengthSupport { .unsupported }

    func withTransaction<T: Sendable>(ending: TransactionEnd, _ body: @Sendable () async throws -> T)
        async throws -> T
    {
        try await body()
    }

    func powerCycle() async throws {}
    func forgetPowerCycle() {}
}

@Suite("PIN state machine on the simulated card")
struct PINStateMachineTests {
    @Test func wrongPINsCountDownThenBlockEvenTheRightPIN() async throws {
        let (sim, card) = try Fixtures.card()
        let wrong = try PIN("9999", for: .auth)
        #expect(try await card.verifyOutcome(wrong) == .wrongPIN(triesLeft: 2))
        #expect(try await card.pinStatus(.auth).state == .remaining(2))
        #expect(try await card.verifyOutcome(wrong) == .wrongPIN(triesLeft: 1))
        #expect(try await card.pinStatus(.auth).isOnFinalAttempt)
        #expect(try await card.verifyOutcome(wrong) == .blocked)
        let lastVerify = { sim.trace.last { $0.ins == 0x20 }?.statusWord }
        #expect(lastVerify() == 0x63C0)
        #expect(try await card.pinStatus(.auth).state == .blocked)
        #expect(try await card.verifyOutcome(try PIN("1234", for: .auth)) == .blocked)
        // The empty VERIFY on the blocked key answers 63 C0, as on real cards (reference 3), and
        // the guard sends no VERIFY with the PIN after it.
        #expect(lastVerify() == 0x63C0)
    }

    @Test func rightPINRestoresTheMaximum() async throws {
        let (_, card) = try Fixtures.card()
        let wrong = try PIN("ZZZ999", for: .sign)
        _ = try await card.verifyOutcome(wrong)
        _ = try await card.verifyOutcome(wrong)
        #expect(try await card.pinStatus(.sign).state == .remaining(3))
        #expect(try await card.verifyOutcome(try PIN("abc123", for: .sign)) == .verified)
        // The counter is back at 5; the empty VERIFY in the verified state answers 90 00...
        let statuses = try await card.pinStatuses()
        #expect(statuses.first { $0.kind == .sign }?.remaining == 5)
    }

    @Test func malformedPINNeverReachesTheCard() async throws {
        let (sim, card) = try Fixtures.card()
        for (value, kind) in [("12345", PINKind.auth), ("ABCDEF", .sign), ("12", .juki), ("abcd", .cardText)] {
            #expect(throws: CardError.self) {
                let pin = try PIN(value, for: kind)
                Issue.record("made \(pin)")
            }
        }
        _ = try await card.pinStatuses()
        #expect(sim.trace.allSatisfy { $0.ins != 0x20 || $0.dataLength == 0 })
        #expect(sim.image.remainingTries(0x0018, in: "jpki") == 3)
    }

    @Test func allFourCountersWithoutSpendingATry() async throws {
        let (sim, card) = try Fixtures.card { $0.triesLeft = ["auth": 2, "sign": 4, "card-text": 1, "juki": 0] }
        let statuses = try await card.pinStatuses()
        #expect(statuses.map(\.kind) == PINKind.allCases)
        #expect(
            statuses.map(\.state) == [
                .remaining(2), .remaining(4), .remaining(1), .remaining(5), .remaining(5), .blocked, .remaining(3),
                .remaining(5), .remaining(5), .remaining(5),
            ])
        #expect(sim.image.remainingTries(0x0011, in: "card-text") == 1)
        #expect(sim.trace.allSatisfy { $0.ins != 0x20 || $0.dataLength == 0 })
    }

    @Test func childCardHasNoSignPIN() async throws {
        let (_, card) = try Fixtures.card("child")
        #expect(try await card.pinStatus(.sign).state == .notAvailable)
        await #expect(throws: CardError.pinNotAvailable(.sign)) {
            try await card.verifyOutcome(try PIN("ABC123", for: .sign))
        }
    }

    @Test func jukiCardHasNoCardTextApplication() async throws {
        let (_, card) = try Fixtures.card("juki-card")
        #expect(try await card.pinStatus(.cardText).state == .notAvailable)
        #expect(try await card.pinStatus(.juki).state == .remaining(3))
    }
}
