import Foundation
import ISO7816
import Testing

@testable import CardSimulator

let selectFace = "00 A4 04 0C 0A D3 92 10 00 31 00 01 01 04 02"

/// VERIFY with an ASCII PIN, as hex.
func verifyHex(_ pin: String) -> String {
    "00 20 00 80 " + [UInt8(pin.utf8.count)].hexString + " " + Array(pin.utf8).hexString
}

/// CHANGE REFERENCE DATA with an ASCII PIN, as hex.
func changeHex(_ pin: String) -> String {
    "00 24 01 80 " + [UInt8(pin.utf8.count)].hexString + " " + Array(pin.utf8).hexString
}

@Suite("Simulated card: card-text and card-face data (reference 5a–5c)")
struct CardDataSimulatorTests {
    // 1990-01-02 is Heisei 2: the era year, not the Gregorian 90.
    static let pinB = "020102" + "2035" + "5678"

    @Test func cardTextAPHasPINAAndPINB() throws {
        let card = try SimulatedCard(image: defaultImage)
        #expect(card.send(selectText).sw == 0x9000)
        #expect(card.send("00 A4 02 0C 02 00 14").sw == 0x9000)
        #expect(card.send("00 20 00 80").sw == 0x63C5)
        #expect(card.send(verifyHex("123456789018")).sw == 0x9000)
        #expect(card.send("00 A4 02 0C 02 00 15").sw == 0x9000)
        #expect(card.send(verifyHex("00000000000000")).sw == 0x63C4)
        #expect(card.send(verifyHex(Self.pinB)).sw == 0x9000)
        #expect(Scenario().cardFacePINB == Self.pinB)
    }

    @Test func cardFaceEFNeedsPINAOrPINB() throws {
        for (fid, pin) in [("00 12", Self.pinB), ("00 13", "123456789018")] {
            let card = try SimulatedCard(image: defaultImage)
            #expect(card.send(selectFace).sw == 0x9000)
            #expect(card.send("00 A4 02 0C 02 00 02").sw == 0x9000)
            #expect(card.send("00 B0 00 00 00").sw == 0x6982)
            #expect(card.send("00 A4 02 0C 02 \(fid)").sw == 0x9000)
            #expect(card.send(verifyHex(pin)).sw == 0x9000)
            #expect(card.send("00 A4 02 0C 02 00 02").sw == 0x9000)
            #expect(card.send("00 B0 00 00 00").sw == 0x9000)
        }
    }

    @Test func cardFaceEFHoldsTheTagsOf5c() throws {
        let ef = Array(defaultImage.file(0x0002, in: "card-face")!)
        let outer = try BERTLV.parseAll(ef)
        #expect(outer.count == 1)
        #expect(outer[0].tag == 0xFF20)
        let children = try outer[0].children()
        #expect(
            children.map(\.tag) == [0xDF21, 0xDF22, 0xDF23, 0xDF24, 0xDF25, 0xDF26, 0xDF27, 0xDF28, 0xDF29, 0xDF2A])
        let photo = children.first { $0.tag == 0xDF27 }!.value
        #expect(photo.starts(with: [0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20]))
        for tag: UInt32 in [0xDF25, 0xDF26, 0xDF2A] {
            #expect(children.first { $0.tag == tag }!.value.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        }
        #expect(children.first { $0.tag == 0xDF22 }!.value == Array("19900102".utf8))
        #expect(children.first { $0.tag == 0xDF29 }!.value == Array("20350102".utf8))
        // Longer than one short READ BINARY, so readers must chunk.
        #expect(ef.count > 256)
    }

    @Test func changeReferenceDataStatusWords() throws {
        let card = try SimulatedCard(image: defaultImage)
        _ = card.send(selectJPKI)
        #expect(card.send("00 A4 02 0C 02 00 18").sw == 0x9000)
        #expect(card.send(changeHex("5678")).sw == 0x6982, "not verified")
        #expect(card.send(verifyHex("1234")).sw == 0x9000)
        #expect(card.send(changeHex("567")).sw == 0x6700, "auth PIN is 4 digits")
        #expect(card.send("00 24 01 80").sw == 0x6700, "no new value")
        #expect(card.send("00 24 00 80 04 35 36 37 38").sw == 0x6A86, "P1 must be 01")
        #expect(card.send(changeHex("5678")).sw == 0x9000)
        // The trace never keeps the new PIN.
        #expect(card.trace.last?.command.contains("redacted") == true)
        card.reset()
        _ = card.send(selectJPKI)
        _ = card.send("00 A4 02 0C 02 00 18")
        #expect(card.send(verifyHex("1234")).sw == 0x63C2, "the old PIN fails")
        #expect(card.send(verifyHex("5678")).sw == 0x9000, "the new PIN works and restores the counter")
        #expect(card.image.remainingTries(0x0018, in: "jpki") == 3)
    }

    @Test func cardDataPINsCannotBeChangedAndBlockedPINsCannotBeChanged() throws {
        let card = try SimulatedCard(image: defaultImage)
        _ = card.send(selectFace)
        _ = card.send("00 A4 02 0C 02 00 12")
        #expect(card.send(verifyHex(Self.pinB)).sw == 0x9000)
        #expect(card.send(changeHex("90010220351111")).sw == 0x6985)
        let blocked = try SimulatedCard(image: try CardBuilder.build(try Scenario.preset(named: "auth-blocked")))
        _ = blocked.send(selectJPKI)
        _ = blocked.send("00 A4 02 0C 02 00 18")
        #expect(blocked.send(changeHex("5678")).sw == 0x6984)
    }

    @Test func aChangedPINSurvivesARestart() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("jpki-sim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("card.json")
        let first = try SimulatedCard.persistent(at: url, scenario: Scenario())
        _ = first.send(selectText)
        _ = first.send("00 A4 02 0C 02 00 11")
        #expect(first.send(verifyHex("1234")).sw == 0x9000)
        #expect(first.send(changeHex("9876")).sw == 0x9000)
        let second = try SimulatedCard.persistent(at: url, scenario: Scenario())
        _ = second.send(selectText)
        _ = second.send("00 A4 02 0C 02 00 11")
        #expect(second.send(verifyHex("9876")).sw == 0x9000)
        #expect(try !String(contentsOf: url, encoding: .utf8).contains("9876"), "only a digest is stored")
    }

    @Test(arguments: [
        ("card-text-a-blocked", "card-text", "00 14"), ("card-text-b-blocked", "card-text", "00 15"),
        ("card-face-a-blocked", "card-face", "00 13"), ("card-face-b-blocked", "card-face", "00 12"),
    ])
    func blockedScenarios(_ name: String, _ app: String, _ fid: String) throws {
        let image = try CardBuilder.build(try Scenario.preset(named: name))
        let card = try SimulatedCard(image: image)
        #expect(card.send(app == "card-text" ? selectText : selectFace).sw == 0x9000)
        #expect(card.send("00 A4 02 0C 02 \(fid)").sw == 0x9000)
        // Real cards answer 63 C0 to the empty VERIFY on a blocked key (reference 3).
        #expect(card.send("00 20 00 80").sw == 0x63C0)
        // Only that PIN: the other PIN of the same AP still has all its tries.
        let other = ["00 14": "00 15", "00 15": "00 14", "00 13": "00 12", "00 12": "00 13"][fid]!
        _ = card.send("00 A4 02 0C 02 \(other)")
        #expect(card.send("00 20 00 80").sw == 0x63C5)
    }

    @Test func corruptCheckDigitAndLongAddressScenarios() throws {
        let corrupt = try CardBuilder.build(try Scenario.preset(named: "my-number-corrupt"))
        #expect(
            Array(corrupt.file(0x0001, in: "card-text")!) == [0xFF, 0x10, 0x0C] + Array("123456789019".utf8) + [
                0xFF, 0xFF,
            ])
        let long = try CardBuilder.build(try Scenario.preset(named: "long-address"))
        let ef = Array(long.file(0x0002, in: "card-text")!)
        let address = try BERTLV.parseFirst(ef).tlv.child(0xDF23)!
        #expect(address.value.count > 255)
        #expect(ef.count > 256 + 4)
        // FF 20 82 xx xx, and DF 23 82 xx xx inside.
        #expect(ef[2] == 0x82)
        #expect(BERTLV(tag: 0xDF23, value: address.value).encoded[2] == 0x82)
        #expect(Scenario.cardDataPresetNames.contains("long-address"))
    }
}
