import Foundation
import ISO7816
import Testing

@testable import CardSimulator

/// What each key of the simulated card opens, as measured on real cards (reference 5a, 5c), the
/// two 001C PINs (reference 1), the blocked answers (reference 3) and the token file (reference 2).
@Suite("Simulated card: keys, files and blocked answers as on real cards")
struct CardKeysSimulatorTests {
    static let selectCommon = "00 A4 04 0C 0A D3 92 10 00 31 00 01 01 01 00"
    static let selectJUKIAP = "00 A4 04 0C 0A D3 92 10 00 31 00 01 01 04 01"

    /// The files of the selected AP among `fids` that READ BINARY (Le 1) opens now.
    static func readable(_ card: SimulatedCard, _ fids: [UInt16]) -> [UInt16] {
        fids.filter { fid in
            guard card.send("00 A4 02 0C 02 " + [UInt8(fid >> 8), UInt8(fid & 0xFF)].hexString).sw == 0x9000 else {
                return false
            }
            return card.send("00 B0 00 00 01").sw == 0x9000
        }
    }

    /// A fresh card with `key` of the AP `select` verified with `value`.
    static func opened(_ select: String, key: String, _ value: String) throws -> SimulatedCard {
        let card = try SimulatedCard(image: defaultImage)
        #expect(card.send(select).sw == 0x9000)
        #expect(card.send("00 A4 02 0C 02 \(key)").sw == 0x9000)
        #expect(card.send(verifyHex(value)).sw == 0x9000)
        return card
    }

    static let textFiles: [UInt16] = [0x0001, 0x0002, 0x0003, 0x0006, 0x0007]

    @Test func cardTextKeysOpenExactlyTheirFiles() throws {
        let none = try SimulatedCard(image: defaultImage)
        #expect(none.send(selectText).sw == 0x9000)
        #expect(Self.readable(none, Self.textFiles).isEmpty)
        let pinB = Scenario().cardFacePINB
        for (key, value, opens) in [
            ("00 11", "1234", Self.textFiles),
            ("00 14", "123456789018", [0x0001, 0x0003, 0x0006, 0x0007]),
            ("00 15", pinB, [0x0002, 0x0003, 0x0006, 0x0007]),
        ] as [(String, String, [UInt16])] {
            let card = try Self.opened(selectText, key: key, value)
            #expect(Self.readable(card, Self.textFiles) == opens, "key \(key)")
        }
    }

    @Test func cardTextKey0012ArrivesBlocked() throws {
        let card = try SimulatedCard(image: defaultImage)
        #expect(card.send(selectText).sw == 0x9000)
        #expect(card.send("00 A4 02 0C 02 00 12").sw == 0x9000)
        #expect(card.send("00 20 00 80").sw == 0x63C0)
        #expect(card.send(verifyHex("1234")).sw == 0x6984)
    }

    @Test func cardTextFilesAsOnTheCard() throws {
        let myNumber = Array(defaultImage.file(0x0001, in: "card-text")!)
        #expect(myNumber.count == 17)
        #expect(myNumber.suffix(2) == [0xFF, 0xFF])
        // DF 21 of EF 0002 lists where DF 22…DF 25 start, from the file's first byte.
        let ef = Array(defaultImage.file(0x0002, in: "card-text")!)
        #expect(Array(ef[3..<6]) == [0xDF, 0x21, 0x08])
        let table = Array(ef[6..<14])
        for (index, tag) in [0x22, 0x23, 0x24, 0x25].enumerated() {
            let offset = Int(table[2 * index]) << 8 | Int(table[2 * index + 1])
            #expect(ef[offset] == 0xDF && ef[offset + 1] == UInt8(tag))
        }
    }

    static let faceFiles: [UInt16] = [0x0001, 0x0002, 0x0003, 0x0004, 0x0005, 0x0006]

    @Test func cardFaceKeysOpenExactlyTheirFiles() throws {
        let none = try SimulatedCard(image: defaultImage)
        #expect(none.send(selectFace).sw == 0x9000)
        #expect(Self.readable(none, Self.faceFiles) == [0x0003, 0x0004])
        for (key, value, opens) in [
            ("00 11", "020102", [0x0001, 0x0003, 0x0004]),
            ("00 12", Scenario().cardFacePINB, [0x0002, 0x0003, 0x0004, 0x0006]),
            ("00 13", "123456789018", [0x0002, 0x0003, 0x0004, 0x0005, 0x0006]),
        ] as [(String, String, [UInt16])] {
            let card = try Self.opened(selectFace, key: key, value)
            #expect(Self.readable(card, Self.faceFiles) == opens, "key \(key)")
        }
    }

    @Test func aGregorianBirthDateBurnsATry() throws {
        // Born 1980-02-17 (昭和55): the card takes 550217, and 800217 is a wrong code.
        var scenario = Scenario()
        scenario.holder.birthDate = "1980-02-17"
        let card = try SimulatedCard(image: try CardBuilder.build(scenario))
        #expect(card.send(selectFace).sw == 0x9000)
        #expect(card.send("00 A4 02 0C 02 00 11").sw == 0x9000)
        #expect(card.send(verifyHex("800217")).sw == 0x63C4)
        #expect(card.send(verifyHex("550217")).sw == 0x9000)
        #expect(card.send("00 A4 02 0C 02 00 12").sw == 0x9000)
        #expect(card.send(verifyHex("80021720355678")).sw == 0x63C4)
        #expect(card.send(verifyHex("55021720355678")).sw == 0x9000)
        #expect(scenario.cardFacePINB == "55021720355678")
    }

    @Test func theCommonCardAndJUKIAPsHaveTheirOwn001CPINs() throws {
        var scenario = Scenario()
        scenario.jukiAPPIN = "5555"
        let card = try SimulatedCard(image: try CardBuilder.build(scenario))
        #expect(card.send(Self.selectCommon).sw == 0x9000)
        #expect(card.send("00 A4 02 0C 02 00 1C").sw == 0x9000)
        #expect(card.send(verifyHex("5555")).sw == 0x63C2)
        #expect(card.send(Self.selectJUKIAP).sw == 0x9000)
        #expect(card.send("00 A4 02 0C 02 00 1C").sw == 0x9000)
        #expect(card.send("00 20 00 80").sw == 0x63C3)
        #expect(card.send(verifyHex("5555")).sw == 0x9000)
        #expect(card.image.remainingTries(0x001C, in: "juki") == 2)
    }

    @Test func aBlockedKeyAnswers63C0ToTheEmptyVerifyOr6984AsAnOption() throws {
        for (option, expected) in [(false, UInt16(0x63C0)), (true, 0x6984)] {
            var scenario = try Scenario.preset(named: "auth-blocked")
            scenario.blockedAnswers6984 = option
            let card = try SimulatedCard(image: try CardBuilder.build(scenario))
            #expect(card.send(selectJPKI).sw == 0x9000)
            #expect(card.send("00 A4 02 0C 02 00 18").sw == 0x9000)
            #expect(card.send("00 20 00 80").sw == expected)
            #expect(card.send(verifyHex("1234")).sw == 0x6984)
        }
        #expect(try Scenario.preset(named: "blocked-answers-6984").blockedAnswers6984)
    }

    @Test func theTokenFileIs160Bytes() throws {
        let token = Array(defaultImage.file(0x0006)!)
        #expect(token.count == 160)
        #expect(
            String(decoding: token.prefix(32), as: UTF8.self) == "JPKIAPICCTOKEN2" + String(repeating: " ", count: 17))
    }
}
