import CardSimulator
import Foundation
import ISO7816
import Synchronization
import Testing

@testable import MyNumberCard

/// A transport that ends PIN sessions the way jpkid did before it power-cycled the card: its "power cycle" and
/// its ending are a warm reset (`SCARD_RESET_CARD`), which a physical card survives verified.
struct WarmResettingTransport: CardTransport {
    let inner: SimulatedCardTransport
    func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU { try await inner.transmit(command) }
    var extendedLength: ExtendedLengthSupport { inner.extendedLength }
    func withTransaction<T: Sendable>(ending: TransactionEnd, _ body: @Sendable () async throws -> T)
        async throws -> T
    {
        try await inner.withTransaction(ending: ending == .leaveCard ? .leaveCard : .resetCard, body)
    }
    func powerCycle() async throws { inner.card.warmReset() }
    func forgetPowerCycle() { inner.forgetPowerCycle() }
}

@Suite("PIN sessions end in a checked power cycle")
struct PowerCycleTests {
    static let digest = DigestInfo(algorithm: .sha256, hashing: [7])

    /// What another client gets from the card with no PIN, selecting each AP as an attacker
    /// would: `90 00` answers to COMPUTE DIGITAL SIGNATURE with either key and to READ BINARY of
    /// the files a PIN opens. Each is a PIN-less answer.
    static func pinLessAnswers(_ sim: SimulatedCard) async throws -> Int {
        let other = SimulatedCardTransport(card: sim)
        return try await other.withTransaction(ending: .leaveCard) {
            var found = 0
            func send(_ c: CommandAPDU) async throws -> StatusWord { try await other.transmit(c).statusWord }
            func select(_ app: CardApplication) async throws {
                _ = try await send(try CommandAPDU(ins: 0xA4, p1: 0x04, p2: 0x0C, data: app.aid))
            }
            func selectFile(_ fid: UInt16) async throws {
                _ = try await send(
                    try CommandAPDU(ins: 0xA4, p1: 0x02, p2: 0x0C, data: [UInt8(fid >> 8), UInt8(fid & 0xFF)]))
            }
            let read = try CommandAPDU(ins: 0xB0, p1: 0, p2: 0, expectedLength: 1)
            let sign = try CommandAPDU(cla: 0x80, ins: 0x2A, p1: 0, p2: 0x80, data: digest.encoded, expectedLength: 256)
            for key: UInt16 in [0x0017, 0x001A] {
                try await select(.jpki)
                try await selectFile(key)
                if try await send(sign) == .success { found += 1 }
            }
            try await select(.jpki)
            try await selectFile(0x0001)
            if try await send(read) == .success { found += 1 }
            for (app, files) in [(CardApplication.cardText, [UInt16(0x0001), 0x0002]), (.cardFace, [0x0002])] {
                for file in files {
                    try await select(app)
                    try await selectFile(file)
                    if try await send(read) == .success { found += 1 }
                }
            }
            return found
        }
    }

    /// Runs every kind of PIN operation in turn on `card`, and after each has another client try
    /// the card without a PIN. Returns the PIN-less answers in all.
    static func everyOperation(_ sim: SimulatedCard, _ card: MyNumberCard) async throws -> (operations: Int, found: Int)
    {
        let auth = try PIN("1234", for: .auth)
        let sign = try PIN("ABC123", for: .sign)
        let operations: [@Sendable () async throws -> Void] = [
            { try await card.verify(auth, confirmFinalAttempt: false) },
            { try await card.verify(sign, confirmFinalAttempt: false) },
            { _ = try await card.sign(digest, with: .auth, pin: auth, confirmFinalAttempt: false) },
            { _ = try await card.sign(digest, with: .sign, pin: sign, confirmFinalAttempt: false) },
            { _ = try await card.readSignCertificate(pin: sign, confirmFinalAttempt: false) },
            { _ = try await card.readCardText(pin: try PIN("1234", for: .cardText)) },
            { _ = try await card.readCardFace(pin: try PIN("123456789018", for: .cardFacePINA)) },
            { try await card.changePIN(current: auth, new: try PIN("4321", for: .auth)) },
            { try await card.changePIN(current: try PIN("4321", for: .auth), new: auth) },
        ]
        var found = 0
        for operation in operations {
            try await operation()
            found += try await pinLessAnswers(sim)
        }
        return (operations.count, found)
    }

    @Test func noOtherClientFindsAnythingVerifiedAfterAnyPINOperation() async throws {
        let (sim, card) = try Fixtures.card()
        let (operations, found) = try await Self.everyOperation(sim, card)
        #expect(operations == 9)
        #expect(found == 0)
        // Every session was closed by a power-down, never a warm reset.
        #expect(!sim.controlLog.contains(2))
        #expect(sim.controlLog.count == 2 * operations)
    }

    @Test func sessionsEndedByAWarmResetLeaveTheCardOpen() async throws {
        // The control: the same operations with the old ending. A physical card (and the
        // simulator by default) survives a warm reset verified.
        let (sim, _) = try Fixtures.card()
        let card = MyNumberCard(transport: WarmResettingTransport(inner: SimulatedCardTransport(card: sim)))
        let (_, found) = try await Self.everyOperation(sim, card)
        #expect(found > 0)
        #expect(!sim.controlLog.contains(0))
    }

    @Test func theChecksPassOnACardThatIsPoweredDown() async throws {
        let (sim, _) = try Fixtures.card()
        let transport = InterceptingTransport(SimulatedCardTransport(card: sim))
        let card = MyNumberCard(transport: transport)
        try await card.verify(try PIN("1234", for: .auth), confirmFinalAttempt: false)
        #expect(card.takePowerCycleCheck() == .closed(securityChecked: false))
        #expect(card.takePowerCycleCheck() == nil)
        try await card.verify(try PIN("ABC123", for: .sign), confirmFinalAttempt: false)
        #expect(card.takePowerCycleCheck() == .closed(securityChecked: true))
        // The security check reads one byte of EF 0001 and gets 69 82.
        #expect(sim.trace.suffix(1).map(\.statusWord) == [0x6982])
        #expect(sim.trace.suffix(1).map(\.command) == ["00 B0 81 00 01"])
        #expect(transport.endings.suffix(2) == [.unpowerCard, .unpowerCard])
        #expect(transport.powerCycles == 2)
        // A wrong PIN is power-cycled too; a refused final try sends nothing, so needs nothing.
        _ = try? await card.verify(try PIN("9999", for: .auth), confirmFinalAttempt: false)
        #expect(card.takePowerCycleCheck() == .closed(securityChecked: false))
        #expect(transport.powerCycles == 3)
    }

    @Test func aReaderThatKeepsTheStateIsFoundForEveryPINKind() async throws {
        for (pin, security) in [
            (try PIN("1234", for: .auth), false), (try PIN("ABC123", for: .sign), true),
            (try PIN("1234", for: .cardText), true),
        ] {
            let (sim, _) = try Fixtures.card()
            sim.power.readerKeepsState = true
            let transport = InterceptingTransport(SimulatedCardTransport(card: sim))
            let card = MyNumberCard(transport: transport)
            // The operation still answers the card's own result.
            try await card.verify(pin, confirmFinalAttempt: false)
            let check = card.takePowerCycleCheck()
            #expect(check?.readerUnsafe == true, "\(pin.kind): \(String(describing: check))")
            // One more power cycle after the finding, then another application selected to clear
            // the state; the transaction still ends with a power-down of its own (0, 1 thrice),
            // never "as it is".
            #expect(transport.powerCycles == 2)
            #expect(sim.controlLog == [0, 1, 0, 1, 0, 1], "\(pin.kind)")
            #expect(transport.forgottenPowerCycles >= 1)
            // The next client finds nothing verified, although the reader keeps the state.
            #expect(try await Self.pinLessAnswers(sim) == 0, "\(pin.kind)")
            #expect(!sim.hasVerifiedPIN, "\(pin.kind)")
            _ = security
        }
    }

    /// The sign PIN on a reader that only warm-resets (the selection check passes), with the
    /// card's answers to the security check rewritten by `override`.
    static func signCheck(_ override: @escaping @Sendable (CommandAPDU) -> [UInt8]?) async throws
        -> (PowerCycleCheck?, SimulatedCard, InterceptingTransport)
    {
        let (sim, _) = try Fixtures.card()
        let transport = InterceptingTransport(
            WarmResettingTransport(inner: SimulatedCardTransport(card: sim)), override: override)
        let card = MyNumberCard(transport: transport)
        try await card.verify(try PIN("ABC123", for: .sign), confirmFinalAttempt: false)
        return (card.takePowerCycleCheck(), sim, transport)
    }

    static let shortRead = "00 B0 81 00 01"
    static let selectSignCertificate = "00 A4 02 0C 02 00 01"

    @Test func aShortReadAnswering6A82FallsBackToSelectAndRead() async throws {
        // The file is there and readable (the PIN stayed verified), but the short-EF form is
        // refused with 6A 82: only the fallback finds the state kept.
        let (check, _, transport) = try await Self.signCheck { $0.description == Self.shortRead ? [0x6A, 0x82] : nil }
        #expect(check?.readerUnsafe == true, "\(String(describing: check))")
        #expect(transport.sent.map(\.description).contains(Self.selectSignCertificate))
    }

    @Test func anAbsentProtectedFileLeavesTheSessionUnproven() async throws {
        // A child's card: no EF 0001. Nothing was proven closed by a file.
        let (check, _, _) = try await Self.signCheck {
            [Self.shortRead, Self.selectSignCertificate].contains($0.description) ? [0x6A, 0x82] : nil
        }
        #expect(check == .closed(securityChecked: false))
    }

    @Test func anUnexpectedAnswerToTheCheckIsNotCheckedAndEndsWithAPowerDown() async throws {
        for status: [UInt8] in [[0x69, 0x86], [0x67, 0x00], [0x6F, 0x00]] {
            let (sim, _) = try Fixtures.card()
            let transport = InterceptingTransport(SimulatedCardTransport(card: sim)) {
                $0.description == Self.shortRead ? status : nil
            }
            let card = MyNumberCard(transport: transport)
            try await card.verify(try PIN("ABC123", for: .sign), confirmFinalAttempt: false)
            let check = card.takePowerCycleCheck()
            guard case .notChecked = check else {
                Issue.record("\(status): \(String(describing: check))")
                continue
            }
            #expect(!(check?.readerUnsafe ?? true))
            // The checked power cycle, then the transaction's own power-down.
            #expect(sim.controlLog == [0, 1, 0, 1], "\(status)")
        }
    }

    @Test func aReaderThatOnlyWarmResetsIsFoundWhereAFileProvesIt() async throws {
        // The selection check passes (a warm reset returns to the default DF); the security
        // check catches the sign PIN still verified. For the auth PIN nothing can tell.
        let (sim, _) = try Fixtures.card()
        let card = MyNumberCard(transport: WarmResettingTransport(inner: SimulatedCardTransport(card: sim)))
        try await card.verify(try PIN("ABC123", for: .sign), confirmFinalAttempt: false)
        #expect(card.takePowerCycleCheck()?.readerUnsafe == true)
        try await card.verify(try PIN("1234", for: .auth), confirmFinalAttempt: false)
        #expect(card.takePowerCycleCheck() == .closed(securityChecked: false))
    }

    @Test func aCardAnswering6F00AfterPowerUpWorksAndNoPINIsResent() async throws {
        let (sim, card) = try Fixtures.card()
        sim.power.powerUp6F00 = true
        sim.insert()
        _ = try await card.readSummary()
        #expect(sim.trace.first?.statusWord == 0x6F00)
        sim.clearTrace()
        try await card.verify(try PIN("1234", for: .auth), confirmFinalAttempt: false)
        _ = try await card.sign(
            Self.digest, with: .sign, pin: try PIN("ABC123", for: .sign), confirmFinalAttempt: false)
        #expect(card.takePowerCycleCheck() == .closed(securityChecked: true))
        // Only the first APDU after each power-up met 6F 00, and each was a SELECT, sent again.
        let retried = sim.trace.indices.filter { sim.trace[$0].statusWord == 0x6F00 }
        #expect(retried.count == 2)
        for index in retried {
            #expect(sim.trace[index].ins == 0xA4)
            #expect(sim.trace[index + 1].command == sim.trace[index].command)
        }
        #expect(sim.trace.filter { $0.ins == 0x20 && $0.dataLength > 0 }.count == 2)
    }

    @Test func verifyCommandsAreNeverSentAgainAfter6F00() async throws {
        let (sim, _) = try Fixtures.card()
        // The card answers 6F 00 to the VERIFY with the PIN: an error, never a second VERIFY.
        let transport = InterceptingTransport(SimulatedCardTransport(card: sim)) { command in
            command.carriesSecret ? [0x6F, 0x00] : nil
        }
        let card = MyNumberCard(transport: transport)
        await #expect(throws: CardError.self) {
            try await card.verify(try PIN("1234", for: .auth), confirmFinalAttempt: false)
        }
        #expect(transport.sent.filter(\.carriesSecret).count == 1)
        // 6F 00 does not tell whether the PIN was checked: a try may be gone.
        await #expect {
            try await card.verify(try PIN("1234", for: .auth), confirmFinalAttempt: false)
        } throws: { error in
            if case CardError.outcomeUnknown(.auth, _) = error { return true }
            return false
        }
    }

    @Test func aPowerCycleIsTwoControlMessagesAndTakesTheTransactionAlong() async throws {
        let (sim, card) = try Fixtures.card()
        sim.clearControlLog()
        try await card.verify(try PIN("1234", for: .auth), confirmFinalAttempt: false)
        #expect(sim.controlLog == [0, 1])
        #expect(!sim.hasVerifiedPIN)
    }
}
