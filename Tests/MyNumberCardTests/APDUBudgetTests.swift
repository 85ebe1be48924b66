import CardSimulator
import ISO7816
import Testing

@testable import MyNumberCard

/// Every APDU is a contactless round trip: each operation has an APDU budget, counted on the
/// simulator's trace with real-size certificates (auth ≥ 1.4 KB, sign ≥ 1.6 KB). The summary's
/// budgets are 11 (extended length) / 22 (short APDUs only) for the JPKI data, plus 5 APDUs for
/// the four card-data PIN A/B counters, plus 3 for the JUKI AP's own PIN (SELECT + empty VERIFY)
/// and the card-face birth-date key (empty VERIFY).
@Suite("APDU budgets")
struct APDUBudgetTests {
    static func card(_ transport: ExtendedLengthSupport, scenario: (inout Scenario) -> Void = { _ in }) throws
        -> (SimulatedCard, MyNumberCard)
    {
        let sim = try SimulatedCard(image: try Fixtures.image(configure: scenario))
        return (sim, MyNumberCard(transport: SimulatedCardTransport(card: sim, extendedLength: transport)))
    }

    @Test func fullSummaryWithExtendedLength() async throws {
        let (sim, card) = try Self.card(.supported)
        let summary = try await card.readSummary()
        #expect(summary.certificates[.auth]!.count >= 1400)
        #expect(summary.pins.count == 10)
        #expect(sim.apduCount <= 19)
    }

    @Test func fullSummaryWithShortAPDUsOnly() async throws {
        let (sim, card) = try Self.card(.unsupported)
        let summary = try await card.readSummary()
        #expect(summary.certificates.count == 3)
        #expect(sim.trace.allSatisfy { !$0.command.hasSuffix("00 00 00") })
        #expect(
            sim.apduCount <= 30,
            "\(sim.trace.map { "\($0.command) -> \(String($0.statusWord, radix: 16)) \($0.responseLength)" })")
    }

    @Test func unknownSupportIsTriedOnceAndRemembered() async throws {
        // A reader that does not say, and a card that refuses extended APDUs: one probe, then
        // short reads; the next card on the reader starts from what this one learnt.
        let (sim, card) = try Self.card(.unknown) { $0.extendedLength = false }
        let first = try await card.readSummary()
        #expect(card.extendedLength == .unsupported)
        #expect(sim.trace.filter { $0.statusWord == 0x6700 }.count == 1)
        #expect(sim.apduCount <= 31)
        let next = MyNumberCard(
            transport: SimulatedCardTransport(card: sim, extendedLength: .unknown),
            options: .init(extendedLength: card.extendedLength))
        sim.clearTrace()
        #expect(try await next.readSummary() == first)
        #expect(sim.trace.count <= 30)
        #expect(!sim.trace.contains { $0.statusWord == 0x6700 })

        // A card that takes them: learnt as supported, whole certificates in one APDU.
        let (simX, cardX) = try Self.card(.unknown)
        _ = try await cardX.readSummary()
        #expect(cardX.extendedLength == .supported)
        #expect(simX.apduCount <= 19)
    }

    /// The PIN sessions' budgets, counted with the checks after the power cycle, without a certificate
    /// read and without a 6F 00 retry: verify ≤ 5 for a PIN that opens no readable file, ≤ 7
    /// with the security check; sign ≤ 7 with the auth key, ≤ 9 with the sign key.
    @Test(arguments: [ExtendedLengthSupport.supported, .unsupported])
    func verifyAndSignWithTheChecksAfterThePowerCycle(_ extended: ExtendedLengthSupport) async throws {
        let (sim, card) = try Self.card(extended)
        let digest = DigestInfo(algorithm: .sha256, hashing: [1, 2, 3])
        func count(_ operation: () async throws -> Void) async throws -> Int {
            let before = sim.apduCount
            try await operation()
            #expect(card.takePowerCycleCheck()?.readerUnsafe == false)
            return sim.apduCount - before
        }
        let verifyAuth = try await count {
            try await card.verify(try PIN("1234", for: .auth), confirmFinalAttempt: false)
        }
        let verifySign = try await count {
            try await card.verify(try PIN("ABC123", for: .sign), confirmFinalAttempt: false)
        }
        let verifyText = try await count {
            try await card.verify(try PIN("1234", for: .cardText), confirmFinalAttempt: false)
        }
        let signAuth = try await count {
            _ = try await card.sign(digest, with: .auth, pin: try PIN("1234", for: .auth), confirmFinalAttempt: false)
        }
        let signSign = try await count {
            _ = try await card.sign(digest, with: .sign, pin: try PIN("ABC123", for: .sign), confirmFinalAttempt: false)
        }
        print(
            "APDU budget (\(extended)): verify auth \(verifyAuth), sign PIN \(verifySign), card-text \(verifyText); "
                + "sign auth \(signAuth), sign sign \(signSign)")
        #expect(verifyAuth <= 5)
        #expect(verifySign <= 7)
        #expect(verifyText <= 7)
        #expect(signAuth <= 7)
        #expect(signSign <= 9)
        #expect(!sim.trace.contains { $0.statusWord == 0x6F00 })
    }
}
