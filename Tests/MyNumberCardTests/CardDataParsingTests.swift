import CardSimulator
import ErrorCodes
import ISO7816
import Testing

@testable import MyNumberCard

@Suite("Card data: my number, card text and card face parsing")
struct CardDataParsingTests {
    @Test func checkDigitOfTheReferenceExample() throws {
        #expect(MyNumber.checkDigit(of: [1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]) == 8)
        #expect(try MyNumber("123456789018").digits == "123456789018")
        for last in 0...9 where last != 8 {
            #expect(throws: CardError.malformedResponse("the my number's check digit does not match")) {
                try MyNumber("12345678901\(last)")
            }
        }
    }

    /// Exactly one of the ten possible last digits is valid for any 11 digits.
    @Test func exactlyOneCheckDigitFitsRandomNumbers() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let first = (0..<11).map { _ in Int.random(in: 0...9, using: &rng) }
            let valid = (0...9).filter { last in
                (try? MyNumber((first + [last]).map(String.init).joined())) != nil
            }
            #expect(valid == [MyNumber.checkDigit(of: first)])
        }
    }

    @Test func myNumberFormatErrorsNeverEchoTheValue() {
        for bad in ["12345678901", "1234567890188", "12345678901A", "１２３４５６７８９０１８"] {
            do {
                _ = try MyNumber(bad)
                Issue.record("accepted a malformed my number")
            } catch {
                #expect(error.code == .malformedResponse)
                #expect(!error.message.contains("1234"))
            }
        }
    }

    @Test func cardTextFromTheSimulatedCard() throws {
        let image = try Fixtures.image()
        let holder = Scenario().holder
        #expect(try CardText.parseMyNumber(Array(image.file(0x0001, in: "card-text")!)).digits == holder.myNumber)
        let text = try CardText.parseBasicAttributes(
            Array(image.file(0x0002, in: "card-text")!), fields: Set(CardText.Field.allCases))
        #expect(text.name == holder.name)
        #expect(text.address == holder.address)
        #expect(text.birthDate?.iso == holder.birthDate)
        #expect(text.sex == Sex(code: "2"))
        #expect(text.sex?.name == "female")
        #expect(text.myNumber == nil, "EF 0002 never carries the my number")
        let some = try CardText.parseBasicAttributes(Array(image.file(0x0002, in: "card-text")!), fields: [.name])
        #expect(some.presentFields == [.name])
    }

    @Test func padding0xFFAfterTheMyNumberIsIgnored() throws {
        let ef: [UInt8] = [0xFF, 0x10, 0x0C] + Array("123456789018".utf8) + [UInt8](repeating: 0xFF, count: 5)
        #expect(try CardText.parseMyNumber(ef).digits == "123456789018")
    }

    @Test func corruptCheckDigitIsAMalformedResponse() throws {
        let image = try Fixtures.image("my-number-corrupt")
        #expect(throws: CardError.malformedResponse("the my number's check digit does not match")) {
            try CardText.parseMyNumber(Array(image.file(0x0001, in: "card-text")!))
        }
    }

    @Test func longAddressWithBERLongForm() throws {
        let image = try Fixtures.image("long-address")
        let text = try CardText.parseBasicAttributes(Array(image.file(0x0002, in: "card-text")!))
        #expect(text.address == (try Scenario.preset(named: "long-address")).holder.address)
        #expect(text.address!.utf8.count > 255)
    }

    @Test func malformedCardTextFilesAreErrors() throws {
        let name = BERTLV(tag: 0xDF22, value: Array("A".utf8)).encoded
        let cases: [[UInt8]] = [
            [],  // empty
            [0x30, 0x03, 0x02, 0x01, 0x00],  // wrong outer tag
            BERTLV(tag: 0xFF20, value: name).encoded,  // no address, birth date, sex
            [0xFF, 0x20, 0x10] + name,  // outer length past the end
            [0xFF, 0x20, 0x03, 0xDF, 0x22, 0x09],  // child past its parent
            Self.withTable([
                name, BERTLV(tag: 0xDF23, value: [0xC3, 0x28]).encoded,
                BERTLV(tag: 0xDF24, value: Array("19900102".utf8)).encoded, BERTLV(tag: 0xDF25, value: [0x31]).encoded,
            ]),  // address not UTF-8
            Self.withTable([
                name, BERTLV(tag: 0xDF23, value: [0x41]).encoded,
                BERTLV(tag: 0xDF24, value: Array("19901302".utf8)).encoded, BERTLV(tag: 0xDF25, value: [0x31]).encoded,
            ]),  // month 13
        ]
        for bytes in cases {
            #expect(throws: CardError.self) { try CardText.parseBasicAttributes(bytes) }
        }
        // The same file with a good date parses: the cases above fail for their own reason.
        let good = Self.withTable([
            name, BERTLV(tag: 0xDF23, value: [0x41]).encoded,
            BERTLV(tag: 0xDF24, value: Array("19900102".utf8)).encoded, BERTLV(tag: 0xDF25, value: [0x31]).encoded,
        ])
        #expect(try CardText.parseBasicAttributes(good).address == "A")
        #expect(throws: CardError.self) { try CardText.parseMyNumber([0xFF, 0x10, 0x0B] + Array("12345678901".utf8)) }
    }

    @Test func cardTextNeverShowsItsValues() throws {
        let image = try Fixtures.image()
        var text = try CardText.parseBasicAttributes(
            Array(image.file(0x0002, in: "card-text")!), fields: Set(CardText.Field.allCases))
        text.myNumber = try CardText.parseMyNumber(Array(image.file(0x0001, in: "card-text")!))
        var dumped = ""
        dump(text, to: &dumped)
        let holder = Scenario().holder
        for shown in [text.description, text.debugDescription, "\(text)", String(reflecting: text), dumped] {
            for value in [holder.name, holder.address, holder.myNumber, "1990", "9018", "female"] {
                #expect(!shown.contains(value), "\(value) leaked")
            }
        }
        #expect(text.description.contains("redacted"))
        var dumpedNumber = ""
        dump(text.myNumber!, to: &dumpedNumber)
        #expect(!dumpedNumber.contains("1234"))
        #expect(text.myNumber!.masked == "**** **** 9018")
    }

    @Test func cardFaceFromTheSimulatedCard() throws {
        let image = try Fixtures.image()
        let face = try CardFace.parse(Array(image.file(0x0002, in: "card-face")!))
        #expect(face.photoIsJPEG2000)
        #expect(face.nameImage.starts(with: CardFace.pngSignature))
        #expect(face.addressImage.starts(with: CardFace.pngSignature))
        #expect(face.securityCodeImage?.starts(with: CardFace.pngSignature) == true)
        #expect(face.birthDate == "19900102")
        #expect(face.expiry == "20350102")
        #expect(face.sex.code == "2")
        var dumped = ""
        dump(face, to: &dumped)
        for shown in [face.description, "\(face)", String(reflecting: face), dumped] {
            #expect(!shown.contains("1990"))
            #expect(!shown.contains("2035"))
            #expect(!shown.contains("137"), "no image byte values")
        }
    }

    @Test func cardFaceWithoutAPhotoIsAnError() throws {
        let fields = [
            BERTLV(tag: 0xDF22, value: Array("19900102".utf8)).encoded, BERTLV(tag: 0xDF23, value: [0x31]).encoded,
            BERTLV(tag: 0xDF24, value: [0x90, 0x00]).encoded, BERTLV(tag: 0xDF25, value: CardFace.pngSignature).encoded,
            BERTLV(tag: 0xDF26, value: CardFace.pngSignature).encoded,
        ]
        // The layout is DF22…DF28 in order: the first one missing is named.
        #expect(throws: CardError.malformedResponse("card face EF 0002 has no DF 27 (of 7 fields)")) {
            try CardFace.parse(Self.withTable(fields))
        }
        #expect(throws: CardError.malformedResponse("card face EF 0002 has no offset table (DF 21) first")) {
            try CardFace.parse(BERTLV(tag: 0xFF20, value: fields.flatMap { $0 }).encoded)
        }
    }

    /// `FF 20` holding a `DF 21` table of where each field starts (from the file's first byte),
    /// then the fields; short lengths only (test files under 128 bytes).
    static func withTable(_ fields: [[UInt8]]) -> [UInt8] {
        var position = 3 + 3 + 2 * fields.count
        var table: [UInt8] = []
        for field in fields {
            table += [UInt8(position >> 8), UInt8(position & 0xFF)]
            position += field.count
        }
        return BERTLV(tag: 0xFF20, value: BERTLV(tag: 0xDF21, value: table).encoded + fields.flatMap { $0 }).encoded
    }
}
