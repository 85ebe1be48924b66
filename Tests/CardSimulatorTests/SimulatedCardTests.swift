import Foundation
import ISO7816
import SwiftASN1
import Synchronization
import Testing
import X509

@testable import CardSimulator

/// Built once: RSA key generation dominates.
let defaultImage: CardImage = try! CardBuilder.build(Scenario())

func hex(_ s: String) -> [UInt8] { [UInt8](hex: s)! }

extension SimulatedCard {
    /// Sends hex, returns the status word (and data).
    func send(_ command: String) -> (data: [UInt8], sw: UInt16) {
        guard case .response(let bytes) = process(hex(command)) else { return ([], 0) }
        return (Array(bytes.dropLast(2)), UInt16(bytes[bytes.count - 2]) << 8 | UInt16(bytes[bytes.count - 1]))
    }
}

let selectJPKI = "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01"
let selectText = "00 A4 04 0C 0A D3 92 10 00 31 00 01 01 04 08"

@Suite("Simulated card: files and access conditions")
struct SimulatedCardAccessTests {
    @Test func freeFilesAreReadable() throws {
        let card = try SimulatedCard(image: defaultImage)
        #expect(card.send(selectJPKI).sw == 0x9000)
        #expect(card.send("00 A4 02 0C 02 00 06").sw == 0x9000)
        let token = card.send("00 B0 00 00 20")
        #expect(token.sw == 0x9000)
        #expect(String(decoding: token.data, as: UTF8.self) == "JPKIAPICCTOKEN2" + String(repeating: " ", count: 17))
    }

    @Test func signCertificateNeedsTheSignPIN() throws {
        let card = try SimulatedCard(image: defaultImage)
        _ = card.send(selectJPKI)
        #expect(card.send("00 A4 02 0C 02 00 01").sw == 0x9000)
        #expect(card.send("00 B0 00 00 00").sw == 0x6982)
        #expect(card.send("00 A4 02 0C 02 00 1B").sw == 0x9000)
        #expect(card.send("00 20 00 80 06 41 42 43 31 32 33").sw == 0x9000)
        #expect(card.send("00 A4 02 0C 02 00 01").sw == 0x9000)
        #expect(card.send("00 B0 00 00 04").data.prefix(2) == [0x30, 0x82])
    }

    @Test func keysAndPINFilesAreNeverReadable() throws {
        let card = try SimulatedCard(image: defaultImage)
        _ = card.send(selectJPKI)
        for fid in ["00 17", "00 1A", "00 18", "00 1B"] {
            #expect(card.send("00 A4 02 0C 02 \(fid)").sw == 0x9000)
            #expect(card.send("00 B0 00 00 10").sw == 0x6982)
        }
    }

    @Test func selectingAnotherDFClearsTheSecurityState() throws {
        let card = try SimulatedCard(image: defaultImage)
        _ = card.send(selectJPKI)
        _ = card.send("00 A4 02 0C 02 00 1B")
        #expect(card.send("00 20 00 80 06 41 42 43 31 32 33").sw == 0x9000)
        // The sign certificate (EF 0001) reads only while the sign PIN is verified.
        #expect(card.send("00 B0 81 00 10").sw == 0x9000)
        #expect(card.send(selectJPKI).sw == 0x9000)  // the same DF again keeps it
        #expect(card.send("00 B0 81 00 10").sw == 0x9000)
        #expect(card.send(selectText).sw == 0x9000)
        #expect(card.send(selectJPKI).sw == 0x9000)
        #expect(card.send("00 B0 81 00 10").sw == 0x6982)
    }

    @Test func emptyVerifyAnswersTheCounterEvenWhenVerifiedAsRealCardsDo() throws {
        let card = try SimulatedCard(image: defaultImage)
        _ = card.send(selectJPKI)
        _ = card.send("00 A4 02 0C 02 00 1B")
        #expect(card.send("00 20 00 80 06 41 42 43 31 32 33").sw == 0x9000)
        #expect(card.send("00 20 00 80").sw == 0x63C5)
        #expect(card.send("00 20 00 9B").sw == 0x63C5)
        // The ISO 7816-4 style stays available as a scenario option.
        var scenario = Scenario()
        scenario.isoVerifyStatus = true
        let iso = try SimulatedCard(image: try CardBuilder.build(scenario))
        _ = iso.send(selectJPKI)
        _ = iso.send("00 A4 02 0C 02 00 1B")
        #expect(iso.send("00 20 00 80").sw == 0x63C5)
        #expect(iso.send("00 20 00 80 06 41 42 43 31 32 33").sw == 0x9000)
        #expect(iso.send("00 20 00 80").sw == 0x9000)
    }

    @Test func extendedReadBinaryAndAScenarioThatRefusesIt() throws {
        let card = try SimulatedCard(image: defaultImage)
        _ = card.send(selectJPKI)
        let whole = card.send("00 B0 8A 00 00 00 00")
        #expect(whole.data == Array(defaultImage.file(0x000A)!))
        #expect(whole.sw == 0x6282)
        var scenario = Scenario()
        scenario.extendedLength = false
        let short = try SimulatedCard(image: try CardBuilder.build(scenario))
        _ = short.send(selectJPKI)
        #expect(short.send("00 B0 8A 00 00 00 00").sw == 0x6700)
        #expect(short.send("00 B0 8A 00 00").sw == 0x9000)
    }

    @Test func certificatesHaveRealSizesAndExtensions() throws {
        let auth = try Certificate(derEncoded: Array(defaultImage.file(0x000A)!))
        let sign = try Certificate(derEncoded: Array(defaultImage.file(0x0001)!))
        #expect(defaultImage.file(0x000A)!.count >= 1400)
        #expect(defaultImage.file(0x0001)!.count >= 1600)
        // CA certificates stay within four short reads.
        #expect(defaultImage.file(0x000B)!.count <= 1024)
        #expect(defaultImage.file(0x0002)!.count <= 1024)
        let expected: [ASN1ObjectIdentifier] = [
            .X509ExtensionID.keyUsage, .X509ExtensionID.subjectKeyIdentifier,
            .X509ExtensionID.authorityKeyIdentifier, .X509ExtensionID.authorityInformationAccess,
            [2, 5, 29, 32], [2, 5, 29, 31],
        ]
        for certificate in [auth, sign] {
            let present = Set(certificate.extensions.map(\.oid))
            for oid in expected { #expect(present.contains(oid), "\(oid) missing") }
        }
        #expect(auth.extensions.map(\.oid).contains(.X509ExtensionID.extendedKeyUsage))
        #expect(try auth.extensions.keyUsage?.digitalSignature == true)
        #expect(try sign.extensions.keyUsage?.nonRepudiation == true)
    }

    @Test func textAPDataNeedsItsPIN() throws {
        let card = try SimulatedCard(image: defaultImage)
        _ = card.send(selectText)
        #expect(card.send("00 B0 81 00 00").sw == 0x6982)
        #expect(card.send("00 A4 02 0C 02 00 11").sw == 0x9000)
        #expect(card.send("00 20 00 80 04 31 32 33 34").sw == 0x9000)
        let number = card.send("00 B0 81 00 00")
        #expect(number.sw == 0x6282)
        #expect(number.data.count == 17, "FF 10 0C, 12 digits, FF FF filler")
        #expect(card.send("00 B0 82 00 00").data.prefix(2) == [0xFF, 0x20])
    }

    @Test(arguments: [
        ("00 A4 02 0C 02 12 34", UInt16(0x6A82)),  // unknown file
        ("00 A4 04 0C 05 A0 00 00 00 03", 0x6A82),  // unknown application
        ("00 CA 00 00 00", 0x6D00),  // unknown instruction
        ("80 B0 00 00 10", 0x6D00),
        ("A0 A4 00 00 02 3F 00", 0x6E00),  // bad class
        ("FF CA 00 00 00", 0x6E00),
        ("00 A4 04", 0x6700),  // malformed
        ("00 B0 00 00", 0x6700),  // READ BINARY without Le
        ("00 A4 07 0C 02 00 06", 0x6A86),
    ])
    func errorsForBadCommands(_ command: String, _ sw: UInt16) throws {
        let card = try SimulatedCard(image: defaultImage)
        _ = card.send(selectJPKI)
        #expect(card.send(command).sw == sw)
    }

    @Test func readingPastTheEnd() throws {
        let card = try SimulatedCard(image: defaultImage)
        _ = card.send(selectJPKI)
        let size = defaultImage.file(0x000A)!.count
        _ = card.send("00 A4 02 0C 02 00 0A")
        let offset = size - 10
        let near = card.send(String(format: "00 B0 %02X %02X 00", offset >> 8, offset & 0xFF))
        #expect(near.sw == 0x6282)
        #expect(near.data.count == 10)
        #expect(card.send(String(format: "00 B0 %02X %02X 10", size >> 8, size & 0xFF)).sw == 0x6B00)
        #expect(card.send("00 A4 00 0C 02 3F 00").sw == 0x9000)
        #expect(card.send("00 B0 00 00 10").sw == 0x6986)  // nothing selected
    }

    @Test func extendedAndShortIdentifierForms() throws {
        let card = try SimulatedCard(image: defaultImage)
        _ = card.send(selectJPKI)
        let size = defaultImage.file(0x000A)!.count
        let whole = card.send("00 B0 8A 00 00 10 00")  // SFI 0x0A, extended Le 4096
        #expect(whole.sw == 0x6282)
        #expect(whole.data == Array(defaultImage.file(0x000A)!))
        #expect(whole.data.count == size)
        // After the SFI read the EF is current: plain offsets continue in it.
        #expect(card.send("00 B0 00 02 02").data == Array(defaultImage.file(0x000A)![2..<4]))
        #expect(card.send("00 20 00 98").sw == 0x63C3)
    }

    @Test func signatureNeedsTheKeysPIN() throws {
        let card = try SimulatedCard(image: defaultImage)
        let digestInfo =
            "30 31 30 0D 06 09 60 86 48 01 65 03 04 02 01 05 00 04 20" + String(repeating: " AB", count: 32)
        _ = card.send(selectJPKI)
        _ = card.send("00 A4 02 0C 02 00 17")
        #expect(card.send("80 2A 00 80 33 \(digestInfo) 00").sw == 0x6982)
        _ = card.send("00 A4 02 0C 02 00 18")
        _ = card.send("00 20 00 80 04 31 32 33 34")
        _ = card.send("00 A4 02 0C 02 00 17")
        let signature = card.send("80 2A 00 80 33 \(digestInfo) 00")
        #expect(signature.sw == 0x9000)
        #expect(signature.data.count == 256)
        // The auth PIN does not open the sign key.
        _ = card.send("00 A4 02 0C 02 00 1A")
        #expect(card.send("80 2A 00 80 33 \(digestInfo) 00").sw == 0x6982)
    }
}

@Suite("Simulated card: retry counters")
struct SimulatedCardCounterTests {
    @Test func countsDownBlocksAndRestores() throws {
        let card = try SimulatedCard(image: defaultImage)
        _ = card.send(selectJPKI)
        _ = card.send("00 A4 02 0C 02 00 1B")
        #expect(card.send("00 20 00 80").sw == 0x63C5)
        for left in [4, 3, 2, 1] {
            #expect(card.send("00 20 00 80 06 5A 5A 5A 39 39 39").sw == 0x63C0 | UInt16(left))
        }
        #expect(card.send("00 20 00 80 06 41 42 43 31 32 33").sw == 0x9000)
        #expect(card.image.remainingTries(0x001B, in: "jpki") == 5)
        for left in [4, 3, 2, 1, 0] {
            #expect(card.send("00 20 00 80 06 5A 5A 5A 39 39 39").sw == 0x63C0 | UInt16(left))
        }
        // The empty VERIFY on a blocked key: 63 C0, as on real cards; a VERIFY with data: 69 84.
        #expect(card.send("00 20 00 80").sw == 0x63C0)
        #expect(card.send("00 20 00 80 06 41 42 43 31 32 33").sw == 0x6984)
        #expect(card.send("00 20 00 80 06 5A 5A 5A 39 39 39").sw == 0x6984)
        #expect(card.image.remainingTries(0x001B, in: "jpki") == 0)
    }

    @Test func resetClearsVerification() throws {
        let card = try SimulatedCard(image: defaultImage)
        _ = card.send(selectJPKI)
        _ = card.send("00 A4 02 0C 02 00 18")
        _ = card.send("00 20 00 80 04 31 32 33 34")
        card.reset()
        _ = card.send(selectJPKI)
        #expect(card.send("00 20 00 98").sw == 0x63C3)
    }

    @Test func armedRemovalCountsFromWhenItIsArmed() throws {
        let card = try SimulatedCard(image: defaultImage)
        for _ in 0..<5 { _ = card.send(selectJPKI) }
        card.reset()  // a warm reset is not an insertion
        card.pull(afterAPDUs: 2)
        #expect(card.send(selectJPKI).sw == 0x9000)
        #expect(card.send("00 20 00 98").sw == 0x63C3)
        #expect(card.process(hex(selectJPKI)) == .removed)
        #expect(card.isRemoved)
        card.insert()
        for _ in 0..<5 { #expect(card.send(selectJPKI).sw == 0x9000) }  // one-shot
    }

    @Test func removalAfterNCountsFromInsertionNotFromAWarmReset() throws {
        let card = try SimulatedCard(image: defaultImage)
        card.faults.removeAfterAPDUs = 3
        _ = card.send(selectJPKI)
        _ = card.send(selectJPKI)
        card.reset()
        #expect(card.send(selectJPKI).sw == 0x9000)
        #expect(card.process(hex(selectJPKI)) == .removed)
    }

    @Test func traceNeverHoldsPINBytes() throws {
        let card = try SimulatedCard(image: defaultImage)
        _ = card.send(selectJPKI)
        _ = card.send("00 A4 02 0C 02 00 1B")
        _ = card.send("00 20 00 80 06 41 42 43 31 32 33")
        let encoded = try JSONEncoder().encode(card.trace)
        let text = String(decoding: encoded, as: UTF8.self)
        #expect(!text.contains("41 42 43 31 32 33"))
        #expect(card.trace.last?.command == "00 20 00 80 [6 byte(s) redacted]")
        #expect(card.apduCount == 3)
    }
}

@Suite("Scenarios and the state file")
struct ScenarioTests {
    @Test func stateFilePersistsCountersAndNoPIN() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("jpki-sim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("card.json")
        var scenario = Scenario()
        scenario.signPIN = "PERSIST42"
        let first = try SimulatedCard.persistent(at: url, scenario: scenario)
        _ = first.send(selectJPKI)
        _ = first.send("00 A4 02 0C 02 00 18")
        _ = first.send("00 20 00 80 04 39 39 39 39")
        let second = try SimulatedCard.persistent(at: url, scenario: Scenario())
        #expect(second.image.remainingTries(0x0018, in: "jpki") == 2)
        #expect(second.image.file(0x000A) == first.image.file(0x000A))
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(!text.contains("PERSIST42"))
        #expect(!text.contains("1234"))
        let mode = try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func jsonScenarioKeepsDefaultsForMissingFields() throws {
        let json = #"{"signPIN": "XYZ789", "triesLeft": {"auth": 1}, "signCertificate": false}"#
        let scenario = try JSONDecoder().decode(Scenario.self, from: Data(json.utf8))
        #expect(scenario.signPIN == "XYZ789")
        #expect(scenario.authPIN == "1234")
        #expect(scenario.tries("auth") == 1)
        #expect(scenario.tries("sign") == 5)
        #expect(!scenario.signCertificate)
    }

    @Test(arguments: [
        #"{"triesLeft": {"auth": 4}}"#,
        #"{"triesLeft": {"face": 1}}"#,
        #"{"authExpiry": "2030-02-30"}"#,
        #"{"atr": "XYZ"}"#,
        #"{"authPIN": ""}"#,
    ])
    func invalidScenariosAreRejected(_ json: String) throws {
        let scenario = try JSONDecoder().decode(Scenario.self, from: Data(json.utf8))
        #expect(throws: SimulatorError.self) { try scenario.validate() }
    }

    @Test func unknownPresetIsAClearError() {
        #expect(throws: SimulatorError.self) { try Scenario.preset(named: "nonsense") }
        for name in Scenario.presetNames { #expect((try? Scenario.preset(named: name)) != nil) }
    }

    @Test func presetsShapeTheCard() throws {
        let child = try CardBuilder.build(try Scenario.preset(named: "child"))
        #expect(child.file(0x0001) == nil)
        #expect(child.applications.first { $0.name == "jpki" }!.keys.count == 1)
        let juki = try CardBuilder.build(try Scenario.preset(named: "juki-card"))
        #expect(juki.applications.map(\.name) == ["jpki", "juki"])
        #expect(juki.file(0x0006)!.prefix(14) == Data("JPKIAPICCTOKEN".utf8))
        let none = try CardBuilder.build(try Scenario.preset(named: "no-jpki"))
        #expect(none.applications.isEmpty)
    }

    @Test func eraDigits() {
        #expect(CardBuilder.eraDigit(SimDate(iso: "1989-01-07")!) == 3)
        #expect(CardBuilder.eraDigit(SimDate(iso: "1989-01-08")!) == 4)
        #expect(CardBuilder.eraDigit(SimDate(iso: "2019-05-01")!) == 5)
        #expect(CardBuilder.eraDigit(SimDate(iso: "1926-12-25")!) == 3)
    }
}
