import Foundation
import ISO7816
import JapaneseCalendar
import Synchronization
import Testing

@testable import CardSimulator
@testable import MyNumberCard

/// The simulator's CVC hierarchy, made once per test process (RSA key generation is slow), and
/// cards signed with it per scenario.
enum GenuineFixtures {
    static let hierarchy = try! CVCHierarchy.generate()
    private static let images = Mutex<[String: CardImage]>([:])

    /// jpkid's table for the hierarchy: the built-in keys plus its two CA keys, test ids allowed.
    static var authorities: CVCAuthorities {
        var entries = CVCAuthorities.builtInEntries
        for ca in [hierarchy.cardFaceCA, hierarchy.cardTextCA] {
            let file = try! ca.publicKeyFile()
            let data = try! JSONSerialization.data(withJSONObject: file)
            entries.append(try! CVCAuthorities.parse(keyFile: data, path: ca.id))
        }
        return CVCAuthorities(entries: entries, allowedTestIDs: Set(entries.map(\.id).filter(\.isTestHierarchy)))
    }

    static func card(_ scenario: String = "default") throws -> (SimulatedCard, MyNumberCard) {
        let image: CardImage
        if let cached = images.withLock({ $0[scenario] }) {
            image = cached
        } else {
            image = try CardBuilder.build(try Scenario.preset(named: scenario), hierarchy: hierarchy)
            images.withLock { $0[scenario] = image }
        }
        let sim = try SimulatedCard(image: image)
        return (sim, MyNumberCard(transport: SimulatedCardTransport(card: sim)))
    }

    static let pinB = try! PIN(Scenario().cardFacePINB, for: .cardFacePINB)
    static let pinA = try! PIN(Scenario().holder.myNumber, for: .cardFacePINA)
}

@Suite("Genuine-card check: keys, CVCs, signed records, verdicts")
struct GenuineTests {
    // MARK: - Keys

    @Test func theBuiltInKeysAreTheThreeProductionKeysOfReference13() throws {
        let entries = CVCAuthorities.builtIn.entries.values.sorted { $0.id < $1.id }
        #expect(entries.map(\.id.description) == ["5000020/001+000000A8", "5000023/001", "5000033/001"])
        #expect(entries.allSatisfy { $0.key.size == 256 && $0.key.exponent == [0x01, 0x00, 0x01] })
        // SHA-256 of each whole modulus, computed (Python hashlib) from the hex in reference 13.1.
        let expected = [
            "318ab4a79346bbd993d36d31a4d766f02a239f36b10bc323458242130f927a97",
            "bb96cc1dc6502005661961f0a45ed843d007c69e3ce167eceb6b1abd5333a932",
            "409655d477547d83cbe182385acb1ea83c9828eb6e5b8bba90957c339b5f30f7",
        ]
        #expect(entries.map { DigestAlgorithm.sha256.hash($0.key.modulus).compactHex.lowercased() } == expected)
    }

    @Test func anEmptyOrBrokenKeyIdIsNilNotATrap() {
        for text in ["", " ", "+", "+000000A8", "/", "5000023/001+", "5000023"] {
            #expect(CVCKeyID(text: text) == nil, "\(text)")
        }
        #expect(CVCKeyID(text: " 5000023/001 ")?.description == "5000023/001")
    }

    @Test func keyIdsAreComparedOnAllSixteenBytes() throws {
        // 5000020's id ends in A8: the same digits with zero padding are another key.
        let zeroPadded = try #require(CVCKeyID(text: "5000020/001"))
        #expect(CVCAuthorities.builtIn.lookup(zeroPadded) == .unknown)
        let real = try #require(CVCKeyID(text: "5000020/001+000000A8"))
        guard case .known = CVCAuthorities.builtIn.lookup(real) else {
            Issue.record("5000020 with its padding must resolve")
            return
        }
        #expect(
            try CVCKeyID(bytes: Array("5000023".utf8) + [8, 5] + Array("001".utf8) + [0, 0, 0, 0]).description
                == "5000023/001")
    }

    @Test func testHierarchyIdsAreRefusedUnlessNamed() throws {
        let id = try #require(CVCKeyID(text: "6000023/001"))
        let key = CVCAuthorities.builtIn.entries.values.first!.key
        let entry = CVCAuthorities.Entry(id: id, key: key, source: "test")
        #expect(CVCAuthorities(entries: [entry]).lookup(id) == .testHierarchyRefused)
        #expect(CVCAuthorities(entries: [entry], allowedTestIDs: [id]).lookup(id) == .known(entry))
    }

    @Test func keyFilesAreLoadedAndTestKeysMustBeNamed() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cvc-keys-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try GenuineFixtures.hierarchy.cardFaceCA.publicKeyFile()
        try JSONSerialization.data(withJSONObject: file).write(to: directory.appendingPathComponent("face.json"))
        #expect(throws: CVCKeyError.self) { try CVCAuthorities.load(directory: directory.path, allowedTestIDs: []) }
        let id = try #require(CVCKeyID(text: "6000023/001"))
        let table = try CVCAuthorities.load(directory: directory.path, allowedTestIDs: [id])
        #expect(table.entries.count == 4)
        try Data("{\"keyId\": \"nonsense\", \"modulus\": \"00\"}".utf8).write(
            to: directory.appendingPathComponent("bad.json"))
        #expect(throws: CVCKeyError.self) { try CVCAuthorities.load(directory: directory.path, allowedTestIDs: [id]) }
        // A directory that is not there adds nothing, and is no error.
        #expect(try CVCAuthorities.load(directory: directory.path + "-missing", allowedTestIDs: []).entries.count == 3)
    }

    @Test func aFIFOOrAnOversizedKeyFileIsRefusedWithoutReadingIt() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cvc-keys-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let fifo = directory.appendingPathComponent("a.json").path
        #expect(mkfifo(fifo, 0o600) == 0)
        // Before the kind check this read blocked forever (no writer ever opens the FIFO).
        #expect(throws: CVCKeyError("\(fifo) is not a regular file")) {
            try CVCAuthorities.load(directory: directory.path, allowedTestIDs: [])
        }
        unlink(fifo)
        let big = directory.appendingPathComponent("b.json")
        #expect(FileManager.default.createFile(atPath: big.path, contents: nil))
        #expect(truncate(big.path, off_t(CVCAuthorities.maxFileBytes + 1)) == 0)
        #expect(throws: CVCKeyError("\(big.path) is larger than 64 KiB")) {
            try CVCAuthorities.load(directory: directory.path, allowedTestIDs: [])
        }
    }

    @Test func theSimulatorsPrivateKeysAreWrittenOwnerOnly() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cvc-hierarchy-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("hierarchy.json")
        try CVCHierarchy.writePrivate(Data("{}".utf8), to: file)
        var info = stat()
        #expect(stat(file.path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(try String(contentsOf: file, encoding: .utf8) == "{}")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["hierarchy.json"])
    }

    // MARK: - Raw RSA

    @Test func theWholePaddedBlockIsCompared() throws {
        let key = try CardRSAPublicKey(modulus: GenuineFixture.caModulus, exponent: [1, 0, 1])
        let cvc = try CardVerifiableCertificate.parse(GenuineFixture.cvc)
        #expect(cvc.isSigned(by: key))
        // A recovered block is compared whole: any other DigestInfo, even one byte, fails.
        let digestInfo = DigestInfo(algorithm: .sha256, hashing: cvc.body).encoded
        #expect(key.isValidSignature(cvc.signature, digestInfo: digestInfo))
        var other = digestInfo
        other[other.count - 1] ^= 1
        #expect(!key.isValidSignature(cvc.signature, digestInfo: other))
        // Wrong length, or not below the modulus: no result at all.
        #expect(key.publicOperation(Array(cvc.signature.dropFirst())) == nil)
        #expect(key.publicOperation([UInt8](repeating: 0xFF, count: 256)) == nil)
    }

    // MARK: - Bytes from an independent tool

    /// scripts/fixtures/make-genuine-fixture.py built these with Python's `cryptography` and a
    /// raw PKCS#1 v1.5 block for DF28, so jpkid and the simulator cannot share a mistake here.
    @Test func recordsBuiltByAnIndependentToolVerify() throws {
        let ca = try CardRSAPublicKey(modulus: GenuineFixture.caModulus, exponent: [1, 0, 1])
        let id = try #require(CVCKeyID(text: "6000023/001"))
        let authorities = CVCAuthorities(entries: [.init(id: id, key: ca, source: "python")], allowedTestIDs: [id])
        let (cvcStep, cvc) = CVCStep.check(GenuineFixture.cvc, .cardFaceCVC, authorities: authorities)
        #expect(cvcStep.result == .passed)
        let apKey = try #require(cvc?.publicKey)
        #expect(cvc?.subject.description == "6000023/101")

        let face = try CardFaceSignature.parse(GenuineFixture.face)
        #expect(face.isSigned(by: apKey))
        #expect(face.digestInfo.count == 115 && face.digestInfo.prefix(2) == [0x30, 0x71])
        let age = try SignedRecord.parse(GenuineFixture.ageRecord, .ageRecord)
        #expect(age.isSigned(by: apKey))
        #expect(age.value(0xDF11) == Array("19800217".utf8))
        #expect(try age.cardKey(0xDF12) == face.cardKey)
        let challenge = PresenceChallenge(challenge: GenuineFixture.challenge)
        #expect(
            face.cardKey.isValidSignature(GenuineFixture.challengeSignature, digestInfo: challenge.digestInfo.encoded))
    }

    /// The same bytes with one changed: each check must fail (the test above can fail).
    @Test func oneChangedByteFailsEachIndependentRecord() throws {
        let ca = try CardRSAPublicKey(modulus: GenuineFixture.caModulus, exponent: [1, 0, 1])
        let cvc = try CardVerifiableCertificate.parse(GenuineFixture.cvc)
        var body = GenuineFixture.cvc
        body[40] ^= 1  // inside the subject id
        #expect(!(try CardVerifiableCertificate.parse(body)).isSigned(by: ca))

        // Inside the values of DF22, DF24 (the card key), DF25, DF26, DF27 (byte 330, which the
        // `if let try?` this replaced skipped silently, is DF26's tag byte: DF26 becomes a second
        // DF27); byte 20 is in DF21, the offset table, which is not signed.
        for segmentByte in [30, 300, 320, 340, 1200] {
            var face = GenuineFixture.face
            face[segmentByte] ^= 1
            // Each change is inside a value: the file must still parse (a throw fails the test).
            let parsed = try CardFaceSignature.parse(face)
            #expect(!parsed.isSigned(by: cvc.publicKey), "byte \(segmentByte)")
        }
        var age = GenuineFixture.ageRecord
        age[10] ^= 1  // the birth date
        #expect(!(try SignedRecord.parse(age, .ageRecord)).isSigned(by: cvc.publicKey))
        // DF29 and DF2A are outside the signature: changing them does not break it.
        let expiry = try #require(GenuineFixture.face.firstRange(of: Array("20351231".utf8)))
        var face = GenuineFixture.face
        face[expiry.lowerBound] ^= 1
        #expect(try CardFaceSignature.parse(face).isSigned(by: cvc.publicKey))
    }

    // MARK: - Verdicts

    @Test func theVerdictRules() {
        let pass = { (n: GenuineStep.Name) in GenuineStep(n, .passed, "") }
        #expect(
            GenuineVerdict.of([pass(.cardFaceCVC), pass(.cardFaceSignature), pass(.cardFaceChallenge)]).verdict
                == .genuine)
        // Never genuine without the challenge, or with a step not done.
        #expect(GenuineVerdict.of([pass(.cardFaceCVC), pass(.cardFaceSignature)]).verdict == .notChecked)
        #expect(
            GenuineVerdict.of([
                pass(.cardFaceCVC), GenuineStep(.cardFaceSignature, .notChecked, "x"), pass(.cardFaceChallenge),
            ]).verdict == .notChecked)
        // A step that does not apply does not count.
        #expect(
            GenuineVerdict.of([
                pass(.cardFaceCVC), pass(.cardFaceSignature), GenuineStep(.renderedMyNumber, .notApplicable, ""),
                pass(.cardFaceChallenge),
            ]).verdict == .genuine)
        // forged only under a proven CVC; a failed CVC is key_mismatch whatever follows.
        #expect(
            GenuineVerdict.of([pass(.cardFaceCVC), GenuineStep(.cardFaceChallenge, .failed, "")]).verdict == .forged)
        #expect(
            GenuineVerdict.of([GenuineStep(.cardFaceCVC, .failed, ""), GenuineStep(.cardFaceSignature, .failed, "")])
                .verdict == .keyMismatch)
        #expect(
            GenuineVerdict.of([GenuineStep(.cardFaceCVC, .unknownIssuer, ""), pass(.cardFaceChallenge)]).verdict
                == .unknownIssuer)
        #expect(
            GenuineVerdict.of([
                GenuineStep(.cardFaceCVC, .notChecked, ""), GenuineStep(.cardFaceSignature, .failed, ""),
            ])
            .verdict == .notChecked)
    }

    @Test func ageIsCountedInCompletedYears() {
        #expect(AgeCheckResult.age(born: "20060405", on: "2026-04-04") == 19)
        #expect(AgeCheckResult.age(born: "20060405", on: "2026-04-05") == 20)
        #expect(AgeCheckResult.age(born: "20040229", on: "2026-02-28") == 21)
        #expect(AgeCheckResult.age(born: "20040229", on: "2026-03-01") == 22)
        #expect(AgeCheckResult.age(born: "2004022", on: "2026-03-01") == nil)
    }

    // MARK: - On the simulated card

    @Test(arguments: [
        ("default", GenuineVerdict.genuine), ("forged-face", .forged), ("cloned-chip", .forged),
        ("unknown-issuer", .unknownIssuer), ("key-mismatch", .keyMismatch),
    ])
    func eachScenarioGetsItsVerdict(scenario: String, verdict: GenuineVerdict) async throws {
        let (sim, card) = try GenuineFixtures.card(scenario)
        let result = try await card.checkCardFace(pin: GenuineFixtures.pinB, authorities: GenuineFixtures.authorities)
        #expect(result.verdict == verdict, "\(result.steps)")
        #expect(result.face?.photoIsJPEG2000 == true)
        // One VERIFY with data, one challenge, nothing verified afterwards.
        #expect(sim.trace.filter { $0.ins == 0x20 && $0.dataLength > 0 }.count == 1)
        #expect(sim.trace.filter { $0.ins == 0x2A }.count == 1)
        switch scenario {
        case "forged-face": #expect(result.steps.first { $0.name == .cardFaceSignature }?.result == .failed)
        case "cloned-chip":
            #expect(result.steps.first { $0.name == .cardFaceSignature }?.result == .passed)
            #expect(result.steps.first { $0.name == .cardFaceChallenge }?.result == .failed)
        default: break
        }
    }

    @Test func withoutTheHierarchysKeysTheCardIsNotGenuine() async throws {
        let (_, card) = try GenuineFixtures.card()
        let result = try await card.checkCardFace(pin: GenuineFixtures.pinB, authorities: .builtIn)
        #expect(result.verdict == .unknownIssuer)
    }

    @Test func aRefusedChallengeIsNotChecked() async throws {
        let (sim, _) = try GenuineFixtures.card()
        let transport = InterceptingTransport(SimulatedCardTransport(card: sim)) { command in
            command.cla == 0x80 && command.ins == 0x2A ? [0x6A, 0x81] : nil
        }
        let result = try await MyNumberCard(transport: transport).checkCardFace(
            pin: GenuineFixtures.pinB, authorities: GenuineFixtures.authorities)
        #expect(result.verdict == .notChecked)
        #expect(result.steps.first { $0.name == .cardFaceChallenge }?.result == .notChecked)
    }

    @Test func theRenderedMyNumberNeedsPINAAndIsChecked() async throws {
        let (_, card) = try GenuineFixtures.card()
        await #expect(throws: CardError.self) {
            try await card.checkCardFace(
                pin: GenuineFixtures.pinB, authorities: GenuineFixtures.authorities, renderedMyNumber: true)
        }
        let result = try await card.checkCardFace(
            pin: GenuineFixtures.pinA, authorities: GenuineFixtures.authorities, renderedMyNumber: true)
        #expect(result.verdict == .genuine)
        #expect(result.renderedMyNumber?.starts(with: CardFace.pngSignature) == true)
        #expect(result.steps.first { $0.name == .renderedMyNumber }?.result == .passed)
    }

    // MARK: - Age check

    static let birthKey = try! VerificationCodeB.birthDatePIN(JapanDate(iso: Scenario().holder.birthDate)!)

    @Test func theAgeCheckAnswersOnlyTheQuestion() async throws {
        let (sim, card) = try GenuineFixtures.card()
        let adult = try await card.checkAge(
            birthDatePIN: Self.birthKey, minimumAge: 20, on: "2026-12-05", authorities: GenuineFixtures.authorities)
        #expect(adult.verdict == .genuine, "\(adult.steps)")
        #expect(adult.isOldEnough == true)
        #expect(adult.birthDate == nil, "the birth date only when asked")
        #expect(adult.steps.map(\.name) == [.cardFaceCVC, .ageRecord, .cardFaceChallenge])
        // Its own VERIFY, of the birth-date key 0011, and one challenge.
        #expect(sim.trace.filter { $0.ins == 0x20 && $0.dataLength == 6 }.count == 1)
        #expect(sim.trace.filter { $0.ins == 0x2A }.count == 1)

        let older = try await card.checkAge(
            birthDatePIN: Self.birthKey, minimumAge: 37, on: "2026-12-05", returningBirthDate: true,
            authorities: GenuineFixtures.authorities)
        #expect(older.isOldEnough == false)
        #expect(older.birthDate == "19900102")
        // The birthday itself counts.
        let birthday = try await card.checkAge(
            birthDatePIN: Self.birthKey, minimumAge: 37, on: "2027-01-02", authorities: GenuineFixtures.authorities)
        #expect(birthday.isOldEnough == true)
    }

    /// A chip loaded with a copy of an adult's record must fail, and then nothing is said about
    /// the age.
    @Test(arguments: [("cloned-chip", GenuineVerdict.forged), ("key-mismatch", .keyMismatch)])
    func aCopiedRecordAnswersNoAge(scenario: String, verdict: GenuineVerdict) async throws {
        let (_, card) = try GenuineFixtures.card(scenario)
        let result = try await card.checkAge(
            birthDatePIN: Self.birthKey, minimumAge: 20, on: "2026-12-05", authorities: GenuineFixtures.authorities)
        #expect(result.verdict == verdict)
        #expect(result.isOldEnough == nil)
    }

    @Test func theAgeCheckNeedsTheBirthDateKey() async throws {
        let (sim, card) = try GenuineFixtures.card()
        await #expect(throws: CardError.self) {
            try await card.checkAge(
                birthDatePIN: GenuineFixtures.pinB, minimumAge: 20, on: "2026-12-05",
                authorities: GenuineFixtures.authorities)
        }
        #expect(sim.trace.isEmpty)
    }

    // MARK: - Card-text AP

    @Test func theCardTextIsCheckedAndTheMyNumberStepOnlyWhenAsked() async throws {
        let (sim, card) = try GenuineFixtures.card()
        let pin = try PIN("1234", for: .cardText)
        let plain = try await card.checkCardText(pin: pin, authorities: GenuineFixtures.authorities)
        #expect(plain.verdict == .genuine, "\(plain.steps)")
        #expect(plain.text.name == Scenario().holder.name)
        #expect(plain.steps.first { $0.name == .cardTextMyNumber }?.result == .notApplicable)
        #expect(plain.steps.first { $0.name == .cardTextAttributes }?.result == .passed)
        #expect(sim.trace.filter { $0.ins == 0x2A }.count == 1)

        let all = try await card.checkCardText(
            pin: pin, fields: Set(CardText.Field.allCases), authorities: GenuineFixtures.authorities)
        #expect(all.verdict == .genuine, "\(all.steps)")
        #expect(all.steps.first { $0.name == .cardTextMyNumber }?.result == .passed)
        #expect(all.text.myNumber?.digits == Scenario().holder.myNumber)

        // PIN A opens only the my number, and the check covers only that.
        let onlyNumber = try await card.checkCardText(
            pin: try PIN(Scenario().holder.myNumber, for: .cardTextPINA), fields: [.myNumber],
            authorities: GenuineFixtures.authorities)
        #expect(onlyNumber.verdict == .genuine)
        #expect(onlyNumber.steps.first { $0.name == .cardTextAttributes }?.result == .notApplicable)
    }

    @Test func aClonedChipFailsTheCardTextChallenge() async throws {
        let (_, card) = try GenuineFixtures.card("cloned-chip")
        let result = try await card.checkCardText(
            pin: try PIN("1234", for: .cardText), authorities: GenuineFixtures.authorities)
        #expect(result.verdict == .forged)
        #expect(result.steps.first { $0.name == .cardTextChallenge }?.result == .failed)
        #expect(result.steps.first { $0.name == .cardTextRecord }?.result == .passed)
    }

    @Test func aChangedAttributeFailsDF32() {
        let digest = DigestAlgorithm.sha256.hash(Array("DF22...DF25".utf8))
        #expect(
            MyNumberCard.digestStep(.cardTextAttributes, Array("DF22...DF25".utf8), digest, "DF32").result == .passed)
        #expect(
            MyNumberCard.digestStep(.cardTextAttributes, Array("DF22...DF26".utf8), digest, "DF32").result == .failed)
        #expect(MyNumberCard.digestStep(.cardTextAttributes, nil, digest, "DF32").result == .notChecked)
    }
}
