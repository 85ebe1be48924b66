import ISO7816
import Testing

@testable import CardSimulator
@testable import MyNumberCard

/// The card-text layout against files built by an independent tool
/// (`scripts/fixtures/make-card-text-fixtures.py`): the 17-byte EF 0001 and the DF 21 offsets.
@Suite("Card text: independent fixtures (reference 5a)")
struct CardTextFixtureTests {
    @Test func theSimulatorBuildsTheSameBytes() {
        #expect(Array(CardBuilder.basicAttributesFile(Scenario.Holder())) == CardTextFixtures.defaultBasicAttributes)
        #expect(Array(CardBuilder.myNumberFile("123456789018")) == CardTextFixtures.myNumberFile)
    }

    @Test func myNumberFileOf17BytesWithFiller() throws {
        #expect(CardTextFixtures.myNumberFile.count == 17)
        #expect(try CardText.parseMyNumber(CardTextFixtures.myNumberFile).digits == "123456789018")
        #expect(CardText.myNumberFileLength == 17)
    }

    @Test func workedExampleOffsetsParse() throws {
        let ef = CardTextFixtures.workedExampleBasicAttributes
        #expect(Array(ef.prefix(14)) == [UInt8](hex: "FF 20 65 DF 21 08 00 0E 00 20 00 59 00 64")!)
        let text = try CardText.parseBasicAttributes(ef)
        #expect(text.name == "山田　太郎")
        #expect(text.birthDate?.iso == "1980-02-17")
        #expect(text.sex?.code == "1")
    }

    @Test func defaultHolderParses() throws {
        let text = try CardText.parseBasicAttributes(CardTextFixtures.defaultBasicAttributes)
        #expect(text.name == "デジタル　花子")
        #expect(text.address == "東京都千代田区霞が関二丁目一番二号")
        #expect(text.birthDate?.iso == "1990-01-02")
    }

    @Test func aWrongOffsetIsMalformed() {
        for index in [6, 8, 10, 12] {
            var ef = CardTextFixtures.workedExampleBasicAttributes
            ef[index + 1] &+= 1
            #expect(throws: CardError.self) { try CardText.parseBasicAttributes(ef) }
        }
        // A table that lists three fields for four.
        var short = CardTextFixtures.workedExampleBasicAttributes
        short[5] = 0x06
        #expect(throws: CardError.self) { try CardText.parseBasicAttributes(short) }
    }

    @Test func fillerAfterAndInsideTheObjectEndsTheWalk() throws {
        // Filler after the outer object (a file longer than its TLV).
        let padded = CardTextFixtures.workedExampleBasicAttributes + [UInt8](repeating: 0xFF, count: 20)
        #expect(try CardText.parseBasicAttributes(padded).name == "山田　太郎")
        // Filler inside the outer object after the last field: the walk stops there.
        var inner = CardTextFixtures.workedExampleBasicAttributes
        inner[2] &+= 3
        inner += [0x00, 0x00, 0x00]
        #expect(try CardText.parseBasicAttributes(inner).sex?.code == "1")
    }
}
