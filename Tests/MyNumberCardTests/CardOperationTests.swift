import CardSimulator
import Crypto
import ErrorCodes
import Foundation
import ISO7816
import Testing
import X509
import _CryptoExtras

@testable import MyNumberCard

@Suite("Detecting the card")
struct DetectionTests {
    @Test(arguments: [
        ("default", CardKind.myNumberCard, "JPKIAPICCTOKEN2" as String?),
        ("juki-card", .jukiCard, "JPKIAPICCTOKEN"),
        ("non-jpki", .nonJPKI, nil),
        ("no-jpki", .noJPKIApplication, nil),
    ])
    func kinds(_ scenario: String, _ kind: CardKind, _ label: String?) async throws {
        let (_, card) = try Fixtures.card(scenario)
        let detected = try await card.detect()
        #expect(detected.kind == kind)
        #expect(detected.tokenLabel == label)
    }

    @Test func unsupportedCardSummaryStopsEarly() async throws {
        let (sim, card) = try Fixtures.card("no-jpki")
        let summary = try await card.readSummary()
        #expect(summary.kind == .noJPKIApplication)
        #expect(summary.pins.isEmpty)
        #expect(sim.apduCount == 1)
    }
}

@Suite("Reading certificates and the card summary")
struct ReadingTests {
    @Test func summaryMatchesTheCardAndUsesTheFewestAPDUs() async throws {
        let (sim, card) = try Fixtures.card()
        let summary = try await card.readSummary()
        #expect(summary.kind == .myNumberCard)
        for slot in CertificateSlot.free {
            #expect(summary.certificates[slot] == Array(sim.image.file(slot.fileID)!))
        }
        #expect(summary.pins.map(\.remaining) == [3, 5, 3, 5, 5, 3, 3, 5, 5, 5])
        // SELECT JPKI, token by SFI, each certificate in 256-byte chunks (first by SFI),
        // auth and sign PIN by SFI, then SELECT + SFI VERIFY for the card-text and JUKI APs.
        // The card data adds at most 5: SFI VERIFY of PIN A and B in the card-text AP, and SELECT +
        // PIN A and B in the card-face AP; then 3 more: SELECT + SFI VERIFY of the JUKI AP's own
        // PIN, and the SFI VERIFY of the card-face birth-date key.
        let chunks = CertificateSlot.free.map { (sim.image.file($0.fileID)!.count + 255) / 256 }
        #expect(sim.apduCount == 1 + 1 + chunks.reduce(0, +) + 2 + 2 + 2 + 5 + 3)
    }

    @Test func cardRefusingShortIdentifiersReadsTheSame() async throws {
        let (sim, plain) = try Fixtures.card()
        let transport = InterceptingTransport(SimulatedCardTransport(card: sim)) { command in
            let sfiRead = command.ins == 0xB0 && command.p1 & 0x80 != 0
            let sfiVerify = command.ins == 0x20 && command.p2 != 0x80
            return sfiRead || sfiVerify ? [0x6A, 0x86] : nil
        }
        let card = MyNumberCard(transport: transport)
        let expected = try await plain.readSummary()
        let summary = try await card.readSummary()
        #expect(summary == expected)
        // Each short form is tried once, then SELECT is used for everything.
        #expect(transport.sent.filter { $0.ins == 0xB0 && $0.p1 & 0x80 != 0 }.count == 1)
        #expect(transport.sent.filter { $0.ins == 0x20 && $0.p2 != 0x80 }.count == 1)
    }

    @Test func extendedLengthReadsAWholeCertificateInOneAPDU() async throws {
        let (sim, _) = try Fixtures.card()
        let card = MyNumberCard(transport: SimulatedCardTransport(card: sim, extendedLength: .supported))
        let der = try await card.readCertificate(.auth)
        #expect(der == Array(sim.image.file(0x000A)!))
        #expect(der.count >= 1400)
        // SELECT AP, one READ BINARY by short identifier with extended Le.
        #expect(sim.apduCount == 2)
    }

    @Test func signCertificateNeedsTheSignPIN() async throws {
        let (sim, card) = try Fixtures.card()
        await #expect(throws: CardError.pinRequired("the digital signature certificate")) {
            try await card.readCertificate(.sign)
        }
        await #expect(throws: CardError.wrongPIN(.sign, triesLeft: 4)) {
            try await card.readSignCertificate(pin: try PIN("XYZ789", for: .sign), confirmFinalAttempt: false)
        }
        let der = try await card.readSignCertificate(pin: try PIN("ABC123", for: .sign), confirmFinalAttempt: false)
        #expect(der == Array(sim.image.file(0x0001)!))
        #expect(sim.image.remainingTries(0x001B, in: "jpki") == 5)
    }

    @Test func erasedSignCertificateIsNotIssuedButACorruptOneIsAnError() async throws {
        for (fill, expected) in [(UInt8(0xFF), ErrorCode.certificateNotIssued), (0x00, .certificateNotIssued)] {
            var image = try Fixtures.image()
            let index = image.applications.firstIndex { $0.name == "jpki" }!
            let file = image.applications[index].files.firstIndex { $0.fid == 0x0001 }!
            image.applications[index].files[file].content = Data(repeating: fill, count: 1200)
            let sim = try SimulatedCard(image: image)
            let card = MyNumberCard(transport: SimulatedCardTransport(card: sim))
            do {
                _ = try await card.readSignCertificate(pin: try PIN("ABC123", for: .sign), confirmFinalAttempt: false)
                Issue.record("an erased EF is no certificate")
            } catch let error as CardError {
                #expect(error.code == expected)
            }
        }
        // A certificate whose answer breaks mid-read is a card error, never "not issued".
        let (sim, _) = try Fixtures.card()
        let transport = InterceptingTransport(SimulatedCardTransport(card: sim)) { command in
            command.ins == 0xB0 && command.p1 == 0x01 ? [0x6B, 0x00] : nil
        }
        await #expect(
            throws: CardError.malformedResponse("file 0001 ended after 256 of \(sim.image.file(0x0001)!.count) bytes")
        ) {
            try await MyNumberCard(transport: transport).readSignCertificate(
                pin: try PIN("ABC123", for: .sign), confirmFinalAttempt: false)
        }
    }

    @Test func childCardSignCertificateIsNotIssued() async throws {
        let (_, card) = try Fixtures.card("child") { $0.signCertificate = false }
        let summary = try await card.readSummary()
        #expect(summary.certificates.count == 3)
        #expect(summary.pin(.sign)?.state == .notAvailable)
    }

    @Test func derLengthHeader() throws {
        #expect(try MyNumberCard.derTotalLength([0x30, 0x82, 0x04, 0xD2]) == 0x4D2 + 4)
        #expect(try MyNumberCard.derTotalLength([0x30, 0x81, 0x80]) == 0x80 + 3)
        #expect(try MyNumberCard.derTotalLength([0x30, 0x10]) == 0x12)
        #expect(throws: CardError.self) { try MyNumberCard.derTotalLength([0x31, 0x10]) }
        #expect(throws: CardError.self) { try MyNumberCard.derTotalLength([0x30, 0x85, 1, 1, 1, 1, 1]) }
        #expect(throws: CardError.self) { try MyNumberCard.derTotalLength([0x30]) }
    }
}

@Suite("Signing")
struct SigningTests {
    func publicKey(_ der: Data) throws -> _RSA.Signing.PublicKey {
        let certificate = try Certificate(derEncoded: Array(der))
        return try #require(_RSA.Signing.PublicKey(certificate.publicKey))
    }

    @Test(arguments: DigestAlgorithm.allCases)
    func authKeySignsVerifiably(_ algorithm: DigestAlgorithm) async throws {
        let (sim, card) = try Fixtures.card()
        let message = Array("login challenge 42".utf8)
        let signature = try await card.sign(
            DigestInfo(algorithm: algorithm, hashing: message), with: .auth, pin: try PIN("1234", for: .auth),
            confirmFinalAttempt: false
        ).signature
        #expect(signature.count == 256)
        let key = try publicKey(sim.image.file(0x000A)!)
        let sig = _RSA.Signing.RSASignature(rawRepresentation: signature)
        let valid: Bool =
            switch algorithm {
            case .sha1: key.isValidSignature(sig, for: Insecure.SHA1.hash(data: message), padding: .insecurePKCS1v1_5)
            case .sha256: key.isValidSignature(sig, for: SHA256.hash(data: message), padding: .insecurePKCS1v1_5)
            case .sha384: key.isValidSignature(sig, for: SHA384.hash(data: message), padding: .insecurePKCS1v1_5)
            case .sha512: key.isValidSignature(sig, for: SHA512.hash(data: message), padding: .insecurePKCS1v1_5)
            }
        #expect(valid)
    }

    @Test func signKeySignsAGivenDigest() async throws {
        let (sim, card) = try Fixtures.card()
        let digest = Array(SHA256.hash(data: Array("document".utf8)))
        let signature = try await card.sign(
            try DigestInfo(algorithm: .sha256, digest: digest), with: .sign, pin: try PIN("ABC123", for: .sign),
            confirmFinalAttempt: false
        ).signature
        let key = try publicKey(sim.image.file(0x0001)!)
        #expect(
            key.isValidSignature(
                .init(rawRepresentation: signature), for: SHA256.hash(data: Array("document".utf8)),
                padding: .insecurePKCS1v1_5))
    }

    @Test func wrongPINSignsNothingAndIsNotRetried() async throws {
        let (sim, card) = try Fixtures.card()
        await #expect(throws: CardError.wrongPIN(.auth, triesLeft: 2)) {
            try await card.sign(
                DigestInfo(algorithm: .sha256, hashing: [1]), with: .auth, pin: try PIN("0000", for: .auth),
                confirmFinalAttempt: false)
        }
        #expect(sim.trace.filter { $0.ins == 0x20 && $0.dataLength > 0 }.count == 1)
        #expect(!sim.trace.contains { $0.ins == 0x2A })
    }

    @Test func mismatchedPINAndKeyIsRefusedLocally() async throws {
        let (sim, card) = try Fixtures.card()
        await #expect(throws: CardError.self) {
            try await card.sign(
                DigestInfo(algorithm: .sha256, hashing: [1]), with: .sign, pin: try PIN("1234", for: .auth),
                confirmFinalAttempt: false)
        }
        #expect(sim.apduCount == 0)
    }

    @Test func digestLengthIsChecked() {
        #expect(throws: CardError.self) { try DigestInfo(algorithm: .sha256, digest: [UInt8](repeating: 0, count: 20)) }
        #expect(throws: CardError.self) { try DigestInfo(algorithm: .sha1, digest: []) }
    }

    @Test func digestInfoEncodings() throws {
        let info = try DigestInfo(algorithm: .sha256, digest: [UInt8](repeating: 0xAA, count: 32))
        #expect(info.encoded.count == 51)
        #expect(
            Array(info.encoded.prefix(19)) == [
                0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
                0x04,
                0x20,
            ])
        #expect(DigestInfo(algorithm: .sha512, hashing: []).encoded.count == 83)
        #expect(DigestInfo(algorithm: .sha384, hashing: []).encoded.prefix(2) == [0x30, 0x41])
        #expect(DigestInfo(algorithm: .sha1, hashing: []).encoded.count == 35)
    }
}

@Suite("Faults and concurrency")
struct FaultTests {
    @Test func removalMidReadFailsWithCardRemoved() async throws {
        let (sim, card) = try Fixtures.card()
        sim.faults.removeAfterAPDUs = 5
        do {
            _ = try await card.readSummary()
            Issue.record("read should fail")
        } catch let error as any CodedError {
            #expect(error.code == .cardRemoved)
        }
        sim.insert()
        let summary = try await card.readSummary()
        #expect(summary.kind == .myNumberCard)
    }

    @Test func truncatedResponseIsAnErrorValue() async throws {
        let (sim, card) = try Fixtures.card()
        sim.faults.truncateResponseAt = 1
        do {
            _ = try await card.detect()
            Issue.record("detect should fail")
        } catch let error as any CodedError {
            #expect(error.code == .malformedAPDU)
        }
    }

    @Test func corruptCertificateIsAnErrorValue() async throws {
        let (sim, card) = try Fixtures.card()
        sim.faults.corruptResponseAt = 3  // the first chunk of the auth certificate: 0x30 → 0x31
        await #expect(throws: CardError.self) { try await card.readSummary() }
    }

    @Test func concurrentOperationsNeverInterleave() async throws {
        let (sim, card) = try Fixtures.card()
        sim.faults.delayPerAPDU = .milliseconds(1)
        async let a = card.readSummary()
        async let b = card.pinStatuses()
        async let c = card.readSummary()
        _ = try await (a, b, c)
        // Every operation starts with SELECT JPKI; the JPKI SELECTs split the trace into runs
        // that must each be one whole operation: PIN statuses take 7 + 5 APDUs (the card-data
        // PINs A and B) + 3 (the JUKI AP's PIN, the birth-date key), a summary more.
        let trace = sim.trace
        let starts = trace.indices.filter { trace[$0].command.hasPrefix("00 A4 04 0C 0A D3 92 F0") }
        #expect(starts.count == 3)
        let lengths = zip(starts, starts.dropFirst() + [trace.count]).map { $1 - $0 }
        let chunks = CertificateSlot.free.map { (sim.image.file($0.fileID)!.count + 255) / 256 }
        let summaryLength = 1 + 1 + chunks.reduce(0, +) + 2 + 2 + 2 + 5 + 3
        #expect(lengths.sorted() == [7 + 5 + 3, summaryLength, summaryLength])
    }
}
