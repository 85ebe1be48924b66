import Foundation
import ISO7816
import Testing

@testable import CardSimulator
@testable import MyNumberCard

/// Signed layouts must hold each tag once, in its place: otherwise one copy is shown and another
/// is verified.
@Suite("Genuine-card check: signed layouts hold each field once, in order")
struct GenuineLayoutTests {
    /// `FF 20 { DF21 <offsets>, fields… }` with a correct offset table.
    static func withTable(_ fields: [[UInt8]]) -> [UInt8] {
        let table = 2 * fields.count
        let inner = 3 + table + fields.reduce(0) { $0 + $1.count }
        var position = 2 + BERTLV.lengthBytes(inner).count + 3 + table
        var offsets: [UInt8] = []
        for field in fields {
            offsets += [UInt8(position >> 8), UInt8(position & 0xFF)]
            position += field.count
        }
        return BERTLV(tag: 0xFF20, value: BERTLV(tag: 0xDF21, value: offsets).encoded + fields.flatMap { $0 }).encoded
    }

    /// The card-text EF 0002 of `image` with a forged address and birth date placed before the
    /// genuine DF22…DF25, the offset table matching (it is not signed).
    static func prefixedForgery(_ genuine: [UInt8]) throws -> [UInt8] {
        let children = try RawTLV.file(genuine, tag: 0xFF20, file: "test")
        let signed = children.filter { (0xDF22...0xDF25).contains($0.tag) }.map(\.stored)
        let forged = [
            RawTLV.encode(tag: [0xDF, 0x23], Array("偽の住所".utf8)),
            RawTLV.encode(tag: [0xDF, 0x24], Array("19000101".utf8)),
        ]
        return withTable(forged + signed)
    }

    @Test func forgedAttributesBeforeTheSignedOnesAreMalformedNotGenuine() async throws {
        var image = try CardBuilder.build(try Scenario.preset(named: "default"), hierarchy: GenuineFixtures.hierarchy)
        let app = try #require(image.applications.firstIndex { $0.name == "card-text" })
        let ef = try #require(image.applications[app].files.firstIndex { $0.fid == 0x0002 })
        let genuine = Array(image.applications[app].files[ef].content)
        let attack = try Self.prefixedForgery(genuine)
        #expect(throws: CardError.self) { try CardText.parseBasicAttributes(attack) }
        image.applications[app].files[ef].content = Data(attack)

        let sim = try SimulatedCard(image: image)
        let card = MyNumberCard(transport: SimulatedCardTransport(card: sim))
        var verdict: GenuineVerdict?
        var address: String?
        do {
            let result = try await card.checkCardText(
                pin: try PIN("1234", for: .cardText), authorities: GenuineFixtures.authorities)
            (verdict, address) = (result.verdict, result.text.address)
        } catch let error as CardError {
            guard case .malformedResponse = error else { throw error }
        }
        #expect(
            verdict == nil, "the forged file gave \(String(describing: verdict)), address forged: \(address == "偽の住所")")
    }

    @Test func theSignedSliceIsTheDecodedFields() throws {
        let name = RawTLV.encode(tag: [0xDF, 0x22], Array("A".utf8))
        let rest = [
            RawTLV.encode(tag: [0xDF, 0x23], Array("B".utf8)),
            RawTLV.encode(tag: [0xDF, 0x24], Array("19900102".utf8)),
            RawTLV.encode(tag: [0xDF, 0x25], Array("1".utf8)),
        ]
        let file = Self.withTable([name] + rest) + [0xFF, 0xFF]
        let (text, signed) = try CardText.parseSignedBasicAttributes(file)
        #expect(text.address == "B")
        #expect(signed == name + rest.flatMap { $0 })
        // Out of order, twice, another tag, one missing: each malformed.
        for fields in [
            [rest[0], name, rest[1], rest[2]], [name] + rest + [rest[0]],
            [name] + rest + [RawTLV.encode(tag: [0xDF, 0x26], [1])],
            [name, rest[0], rest[1]],
        ] {
            #expect(throws: CardError.self) { try CardText.parseBasicAttributes(Self.withTable(fields)) }
        }
    }

    @Test func aSignedRecordOrTheCardFaceWithATagTwiceIsMalformed() throws {
        // The age record with a second, forged DF11 after the signature.
        let age = GenuineFixture.ageRecord
        let children = try RawTLV.file(age, tag: 0xFF10, file: "test")
        let doubled =
            RawTLV.encode(
                tag: [0xFF, 0x10],
                children.flatMap(\.stored) + RawTLV.encode(tag: [0xDF, 0x11], Array("20200101".utf8)))
        #expect(throws: CardError.self) { try SignedRecord.parse(doubled, .ageRecord) }
        // A forged DF11 first: the signature would be checked over the genuine one.
        let first = RawTLV.encode(
            tag: [0xFF, 0x10], RawTLV.encode(tag: [0xDF, 0x11], Array("20200101".utf8)) + children.flatMap(\.stored))
        #expect(throws: CardError.self) { try SignedRecord.parse(first, .ageRecord) }

        // The card face with a second DF22 (birth date) appended, the offset table correct.
        let face = try RawTLV.file(GenuineFixture.face, tag: 0xFF20, file: "test").filter { $0.tag != 0xDF21 }
        let faceFields = face.map(\.stored)
        let forgedBirth = RawTLV.encode(tag: [0xDF, 0x22], Array("20200101".utf8))
        #expect(throws: Never.self) { try CardFace.parse(Self.withTable(faceFields)) }
        #expect(throws: CardError.self) { try CardFace.parse(Self.withTable([forgedBirth] + faceFields)) }
        #expect(throws: CardError.self) { try CardFace.parse(Self.withTable(faceFields + [forgedBirth])) }
        #expect(throws: CardError.self) { try CardFaceSignature.parse(Self.withTable([forgedBirth] + faceFields)) }
    }
}

@Suite("Genuine-card check: each application's CVC names its own CA")
struct GenuineIssuerTests {
    @Test func aCVCUnderTheOtherApplicationsKeyIsAKeyMismatch() throws {
        let ca = try CardRSAPublicKey(modulus: GenuineFixture.caModulus, exponent: [1, 0, 1])
        let id = try #require(CVCKeyID(text: "6000023/001"))
        let authorities = CVCAuthorities(entries: [.init(id: id, key: ca, source: "python")], allowedTestIDs: [id])
        #expect(CVCStep.check(GenuineFixture.cvc, .cardFaceCVC, authorities: authorities).step.result == .passed)
        // The same verified CVC (issuer 6000023, the card face's CA) offered as the card text's.
        let (step, _) = CVCStep.check(GenuineFixture.cvc, .cardTextCVC, authorities: authorities)
        #expect(step.result == .failed)
        #expect(GenuineVerdict.of([step]).verdict == .keyMismatch)
        #expect(CVCStep.expectedAuthorities(.cardFaceCVC) == ["5000023", "6000023"])
        #expect(CVCStep.expectedAuthorities(.cardTextCVC) == ["5000033", "6000033"])
    }

    @Test func theCardTextsCVCInTheCardFaceIsAKeyMismatchNotForged() async throws {
        var image = try CardBuilder.build(try Scenario.preset(named: "default"), hierarchy: GenuineFixtures.hierarchy)
        let face = try #require(image.applications.firstIndex { $0.name == "card-face" })
        let text = try #require(image.applications.firstIndex { $0.name == "card-text" })
        let textCVC = try #require(image.applications[text].files.first { $0.fid == 0x0004 }?.content)
        let faceCVC = try #require(image.applications[face].files.firstIndex { $0.fid == 0x0004 })
        image.applications[face].files[faceCVC].content = textCVC
        let sim = try SimulatedCard(image: image)
        let result = try await MyNumberCard(transport: SimulatedCardTransport(card: sim)).checkCardFace(
            pin: GenuineFixtures.pinB, authorities: GenuineFixtures.authorities)
        #expect(result.verdict == .keyMismatch, "\(result.steps)")
        #expect(result.steps.first { $0.name == .cardFaceCVC }?.detail.contains("6000033") == true)
    }
}

/// The card-text AP's signed data built by Python's `cryptography` (scripts/fixtures/
/// make-genuine-fixture.py): jpkid and the simulator cannot share a mistake about its layout.
@Suite("Genuine-card check: card-text records built by an independent tool")
struct GenuineCardTextFixtureTests {
    @Test func jpkidVerifiesTheIndependentCardTextRecords() throws {
        let ca = try CardRSAPublicKey(modulus: GenuineFixture.textCAModulus, exponent: [1, 0, 1])
        let id = try #require(CVCKeyID(text: "6000033/001"))
        let authorities = CVCAuthorities(entries: [.init(id: id, key: ca, source: "python")], allowedTestIDs: [id])
        let (cvcStep, cvc) = CVCStep.check(GenuineFixture.textCVC, .cardTextCVC, authorities: authorities)
        #expect(cvcStep.result == .passed, "\(cvcStep.detail)")
        let apKey = try #require(cvc?.publicKey)

        let record = try SignedRecord.parse(GenuineFixture.textIntegrityRecord, .integrityRecord)
        #expect(record.isSigned(by: apKey))
        // DF31 over EF 0001's 17 physical bytes, FF filler included.
        #expect(GenuineFixture.textMyNumber.count == 17)
        #expect(
            MyNumberCard.digestStep(.cardTextMyNumber, GenuineFixture.textMyNumber, record.value(0xDF31), "DF31").result
                == .passed)
        #expect(try CardText.parseMyNumber(GenuineFixture.textMyNumber).digits == "123456789018")
        // DF32 over DF22…DF25 as stored (a long-form address length), from the one walk that
        // also decodes the fields.
        let (text, signed) = try CardText.parseSignedBasicAttributes(
            GenuineFixture.textBasicAttributes, fields: Set(CardText.Field.allCases).subtracting([.myNumber]))
        #expect(text.name == "山田　花子" && text.birthDate?.iso == "1980-02-17" && text.sex?.code == "2")
        #expect(
            MyNumberCard.digestStep(.cardTextAttributes, signed, record.value(0xDF32), "DF32").result == .passed)

        let key = try SignedRecord.parse(GenuineFixture.textSigningKey, .textSigningKey)
        #expect(key.isSigned(by: apKey))
        let chip = try key.cardKey(0xDF51)
        let challenge = PresenceChallenge(challenge: GenuineFixture.challenge)
        #expect(chip.isValidSignature(GenuineFixture.textChallengeSignature, digestInfo: challenge.digestInfo.encoded))
        // The AP key signs records, not challenges; the chip's key the other way round.
        #expect(
            !apKey.isValidSignature(GenuineFixture.textChallengeSignature, digestInfo: challenge.digestInfo.encoded))
        #expect(!record.isSigned(by: chip))
    }

    @Test func oneChangedByteFailsEachIndependentCardTextRecord() throws {
        let ca = try CardRSAPublicKey(modulus: GenuineFixture.textCAModulus, exponent: [1, 0, 1])
        let apKey = try CardVerifiableCertificate.parse(GenuineFixture.textCVC).publicKey
        var cvc = GenuineFixture.textCVC
        cvc[40] ^= 1
        #expect(!(try CardVerifiableCertificate.parse(cvc)).isSigned(by: ca))
        var record = GenuineFixture.textIntegrityRecord
        record[10] ^= 1  // inside DF31
        #expect(!(try SignedRecord.parse(record, .integrityRecord)).isSigned(by: apKey))
        let digest = try SignedRecord.parse(GenuineFixture.textIntegrityRecord, .integrityRecord).value(0xDF32)
        var basic = GenuineFixture.textBasicAttributes
        let birth = try #require(basic.firstRange(of: Array("19800217".utf8)))
        basic[birth.lowerBound + 2] = UInt8(ascii: "9")  // 1990-02-17: still a date, another hash
        let (changed, signed) = try CardText.parseSignedBasicAttributes(basic, fields: [.birthDate])
        #expect(changed.birthDate?.iso == "1990-02-17")
        #expect(MyNumberCard.digestStep(.cardTextAttributes, signed, digest, "DF32").result == .failed)
        var myNumber = GenuineFixture.textMyNumber
        myNumber[16] = 0x00  // the filler counts too
        let digest31 = try SignedRecord.parse(GenuineFixture.textIntegrityRecord, .integrityRecord).value(0xDF31)
        #expect(MyNumberCard.digestStep(.cardTextMyNumber, myNumber, digest31, "DF31").result == .failed)
        var key = GenuineFixture.textSigningKey
        key[20] ^= 1  // inside the chip's modulus
        #expect(!(try SignedRecord.parse(key, .textSigningKey)).isSigned(by: apKey))
    }

    /// The simulator builds its DF32 range its own way: on Python's EF 0002 it must take the
    /// bytes jpkid takes.
    @Test func theSimulatorsAttributeRangeAgrees() throws {
        let (_, signed) = try CardText.parseSignedBasicAttributes(GenuineFixture.textBasicAttributes, fields: [])
        #expect(CardBuilder.attributeRange(GenuineFixture.textBasicAttributes) == signed)
        // And on its own card: EF 0003's digests match EF 0001 and EF 0002 as jpkid reads them.
        let image = try CardBuilder.build(try Scenario.preset(named: "default"), hierarchy: GenuineFixtures.hierarchy)
        let app = try #require(image.applications.first { $0.name == "card-text" })
        func file(_ fid: UInt16) throws -> [UInt8] { Array(try #require(app.files.first { $0.fid == fid }).content) }
        let record = try SignedRecord.parse(try file(0x0003), .integrityRecord)
        let (_, simulated) = try CardText.parseSignedBasicAttributes(try file(0x0002), fields: [])
        #expect(DigestAlgorithm.sha256.hash(simulated) == record.value(0xDF32))
        #expect(DigestAlgorithm.sha256.hash(try file(0x0001)) == record.value(0xDF31))
    }
}
