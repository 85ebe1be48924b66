import Foundation
import Synchronization
import Testing

@testable import CardSimulator

/// The simulator's power semantics follow physical cards (reference section 11): a warm reset
/// keeps verified PINs, only a power-down clears them; other behaviours are options.
@Suite("Simulated card: power-down, warm reset and selection")
struct PowerSemanticsTests {
    static let verifyAuth = "00 20 00 80 04 31 32 33 34"
    static let readSignCertificate = "00 B0 81 00 01"

    /// Verifies the sign PIN (EF 001B) and shows EF 0001 readable.
    static func verifiedSign(_ card: SimulatedCard) {
        _ = card.send(selectJPKI)
        _ = card.send("00 A4 02 0C 02 00 1B")
        #expect(card.send("00 20 00 80 06 41 42 43 31 32 33").sw == 0x9000)
        #expect(card.send(Self.readSignCertificate).sw == 0x9000)
    }

    @Test func aWarmResetKeepsVerifiedPINsAndReturnsToTheDefaultDF() throws {
        let card = try SimulatedCard(image: defaultImage)
        Self.verifiedSign(card)
        card.warmReset()
        // No AP selected any more: the PIN EF cannot be selected by id.
        #expect(card.send("00 A4 02 0C 02 00 1B").sw == 0x6A82)
        // Re-selecting the same AP finds the PIN still verified.
        _ = card.send(selectJPKI)
        #expect(card.send(Self.readSignCertificate).sw == 0x9000)
        #expect(card.controlLog == [2])
    }

    @Test func onlyAPowerDownClearsThem() throws {
        let card = try SimulatedCard(image: defaultImage)
        Self.verifiedSign(card)
        card.powerDown()
        card.powerUp()
        _ = card.send(selectJPKI)
        #expect(card.send(Self.readSignCertificate).sw == 0x6982)
        #expect(card.controlLog == [0, 1])
    }

    @Test func selectingAnotherAPClearsThePINsOfTheLastOne() throws {
        let card = try SimulatedCard(image: defaultImage)
        Self.verifiedSign(card)
        _ = card.send(selectJPKI)
        #expect(card.send(Self.readSignCertificate).sw == 0x9000)
        _ = card.send(selectText)
        _ = card.send(selectJPKI)
        #expect(card.send(Self.readSignCertificate).sw == 0x6982)
    }

    @Test func theISOResetOptionClearsOnAWarmResetToo() throws {
        let card = try SimulatedCard(image: defaultImage)
        card.power.isoReset = true
        Self.verifiedSign(card)
        card.warmReset()
        _ = card.send(selectJPKI)
        #expect(card.send(Self.readSignCertificate).sw == 0x6982)
    }

    @Test func aReaderThatKeepsTheStateIgnoresPowerDownAndReset() throws {
        let card = try SimulatedCard(image: defaultImage)
        card.power.readerKeepsState = true
        Self.verifiedSign(card)
        card.powerDown()
        card.powerUp()
        card.warmReset()
        // Still inside the JPKI AP, still verified.
        #expect(card.send("00 A4 02 0C 02 00 1B").sw == 0x9000)
        #expect(card.send(Self.readSignCertificate).sw == 0x9000)
        // A card taken off the reader loses power whatever the reader does.
        card.remove()
        card.insert()
        _ = card.send(selectJPKI)
        #expect(card.send(Self.readSignCertificate).sw == 0x6982)
    }

    @Test func theFirstAPDUAfterAPowerUpCanAnswer6F00() throws {
        let card = try SimulatedCard(image: defaultImage)
        card.power.powerUp6F00 = true
        card.powerDown()
        card.powerUp()
        #expect(card.send(selectJPKI).sw == 0x6F00)
        #expect(card.send(selectJPKI).sw == 0x9000)
        // A warm reset is not a power-up.
        card.warmReset()
        #expect(card.send(selectJPKI).sw == 0x9000)
    }

    @Test func scenariosCarryThePowerOptions() throws {
        let json = #"{"power": {"readerKeepsState": true}}"#
        let scenario = try JSONDecoder().decode(Scenario.self, from: Data(json.utf8))
        #expect(scenario.power == SimulatedCard.Power(readerKeepsState: true))
        #expect(try JSONDecoder().decode(Scenario.self, from: Data("{}".utf8)).power == nil)
    }

    @Test func vpcdControlBytesMapToPowerDownPowerUpAndWarmReset() throws {
        let vpcd = try FakeVPCD()
        let card = try SimulatedCard(image: defaultImage)
        let controls = Mutex<[UInt8]>([])
        let link = VPCDLink(
            card: card, host: "127.0.0.1", port: vpcd.port, reinsertAfter: nil,
            onControl: { control in controls.withLock { $0.append(control) } })
        let thread = Thread { link.run() }
        thread.start()
        defer { link.stop() }
        vpcd.accept()
        vpcd.send([0x01])
        #expect(vpcd.exchange(hex(selectJPKI)) == [0x90, 0x00])
        #expect(vpcd.exchange(hex("00 A4 02 0C 02 00 18")) == [0x90, 0x00])
        #expect(vpcd.exchange(hex(Self.verifyAuth)) == [0x90, 0x00])
        vpcd.send([0x02])
        #expect(vpcd.exchange(hex(selectJPKI)) == [0x90, 0x00])
        #expect(card.hasVerifiedPIN)
        vpcd.send([0x00])
        vpcd.send([0x01])
        #expect(vpcd.exchange(hex(selectJPKI)) == [0x90, 0x00])
        #expect(!card.hasVerifiedPIN)
        #expect(controls.withLock { $0 } == [1, 2, 0, 1])
    }
}
