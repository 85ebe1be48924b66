import CardSimulator
import ErrorCodes
import Foundation
import Testing
import X509

@testable import MyNumberCard

@Suite("Trust: chains to anchors, key usage, card signatures")
struct TrustTests {
    /// The anchors an integrator would install for `image`'s PKI: its two CA certificates.
    static func anchors(_ image: CardImage) throws -> TrustAnchors {
        TrustAnchors(
            certificates: try [0x000B, 0x0002].map { try Certificate(derEncoded: Array(image.file($0)!)) },
            source: "test")
    }

    static func certificates(_ image: CardImage) -> [CertificateSlot: [UInt8]] {
        var result: [CertificateSlot: [UInt8]] = [:]
        for slot in CertificateSlot.allCases {
            if let der = image.file(slot.fileID) { result[slot] = Array(der) }
        }
        return result
    }

    @Test func theCardChainsToItsOwnExportedCAs() async throws {
        let image = try Fixtures.image()
        let trust = await ChainValidator(anchors: try Self.anchors(image)).evaluate(card: Self.certificates(image))
        #expect(trust == [.auth: .trusted, .authCA: .trusted, .signCA: .trusted, .sign: .trusted])
    }

    @Test func aCardFromAnotherPKIIsUntrustedIssuerEvenWithItsOwnCAsAsIntermediates() async throws {
        let image = try Fixtures.image()
        // Same CA names, other keys: what a forged card would carry.
        let other = try Fixtures.image { $0.name = "another simulator PKI" }
        let trust = await ChainValidator(anchors: try Self.anchors(other)).evaluate(card: Self.certificates(image))
        #expect(
            trust == [
                .auth: .untrustedIssuer, .authCA: .untrustedIssuer, .signCA: .untrustedIssuer, .sign: .untrustedIssuer,
            ])
    }

    @Test func withoutAnchorsNothingIsCheckedAndTheCardsCAsAreNotTrustedByThemselves() async throws {
        let image = try Fixtures.image()
        let trust = await ChainValidator(anchors: .none).evaluate(card: Self.certificates(image))
        #expect(Set(trust.values) == [.notChecked])
    }

    @Test func anExpiredCertificateIsExpired() async throws {
        let image = try Fixtures.image("expired")
        let validator = ChainValidator(anchors: try Self.anchors(image))
        let trust = await validator.evaluate(card: Self.certificates(image))
        #expect(trust[.auth] == .expired)
        #expect(trust[.authCA] == .trusted)
        // The same certificate was trusted while it was valid: the code is about time, not the chain.
        let info = try CertificateInfo(der: Array(image.file(0x000A)!))
        let then = await validator.evaluate(
            Array(image.file(0x000A)!), usage: .authentication, intermediates: [],
            at: info.notAfter.addingTimeInterval(-86_400))
        #expect(then == .trusted)
    }

    @Test func aCertificateNotValidYetIsNotYetValid() async throws {
        let image = try Fixtures.image("not-yet-valid")
        let trust = await ChainValidator(anchors: try Self.anchors(image)).evaluate(card: Self.certificates(image))
        #expect(trust[.auth] == .notYetValid)
        #expect(trust[.sign] == .notYetValid)
    }

    @Test func swappedAuthAndSignCertificatesHaveTheWrongKeyUsage() async throws {
        let image = try Fixtures.image { $0.swapCertificates = true }
        let trust = await ChainValidator(anchors: try Self.anchors(image)).evaluate(card: Self.certificates(image))
        #expect(trust[.auth] == .wrongKeyUsage)
        #expect(trust[.sign] == .wrongKeyUsage)
        #expect(trust[.authCA] == .trusted)
    }

    @Test func theCardsSignaturesVerifyAndATamperedOneDoesNot() async throws {
        let (sim, card) = try Fixtures.card()
        let certificate = Array(sim.image.file(0x000A)!)
        for algorithm in DigestAlgorithm.allCases {
            let digestInfo = DigestInfo(algorithm: algorithm, hashing: Array("challenge".utf8))
            let signature = try await card.sign(
                digestInfo, with: .auth, pin: try Fixtures.pin("1234", .auth), confirmFinalAttempt: false
            ).signature
            #expect(SignatureCheck.isValid(signature, for: digestInfo, certificate: certificate), "\(algorithm)")
            let other = DigestInfo(algorithm: algorithm, hashing: Array("another challenge".utf8))
            #expect(!SignatureCheck.isValid(signature, for: other, certificate: certificate), "\(algorithm)")
        }
        let digestInfo = DigestInfo(algorithm: .sha256, hashing: Array("challenge".utf8))
        // The sign certificate's key did not make it.
        #expect(
            !SignatureCheck.isValid(
                try await card.sign(
                    digestInfo, with: .auth, pin: try Fixtures.pin("1234", .auth), confirmFinalAttempt: false
                ).signature, for: digestInfo,
                certificate: Array(sim.image.file(0x0001)!)))
        sim.faults.tamperSignature = true
        let tampered = try await card.sign(
            digestInfo, with: .auth, pin: try Fixtures.pin("1234", .auth), confirmFinalAttempt: false
        ).signature
        #expect(tampered.count == 256)
        #expect(!SignatureCheck.isValid(tampered, for: digestInfo, certificate: certificate))
        #expect(throws: CardError.invalidSignature) {
            try SignatureCheck.require(tampered, for: digestInfo, certificate: certificate)
        }
        #expect(CardError.invalidSignature.code == .cardError)
    }

    @Test func anchorsLoadFromADirectoryAndABrokenFileIsAnError() throws {
        let image = try Fixtures.image()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("anchors-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        // Missing, then empty: not configured.
        #expect(try TrustAnchors.load(directory: directory.path).isConfigured == false)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        #expect(try TrustAnchors.load(directory: directory.path).isConfigured == false)
        for (name, fid) in [("auth-ca.pem", UInt16(0x000B)), ("sign-ca.pem", 0x0002)] {
            let body = image.file(fid)!.base64EncodedString(options: [.lineLength64Characters])
            try Data("-----BEGIN CERTIFICATE-----\n\(body)\n-----END CERTIFICATE-----\n".utf8)
                .write(to: directory.appendingPathComponent(name))
        }
        try Data("not a certificate".utf8).write(to: directory.appendingPathComponent("README"))
        let loaded = try TrustAnchors.load(directory: directory.path)
        #expect(loaded.certificates.count == 2)
        try Data("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".utf8)
            .write(to: directory.appendingPathComponent("broken.pem"))
        #expect {
            try TrustAnchors.load(directory: directory.path)
        } throws: { error in
            "\(error)".contains("broken.pem") && "\(error)".contains("not a valid X.509 certificate")
        }
        #expect(throws: TrustAnchorError.self) {
            try TrustAnchors.load(directory: directory.appendingPathComponent("auth-ca.pem").path)
        }
    }
}
