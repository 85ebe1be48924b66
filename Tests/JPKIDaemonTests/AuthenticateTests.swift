import CardSimulator
import Crypto
import ErrorCodes
import Foundation
import JPKIAPI
import JPKIClient
import JPKIStaff
import MyNumberCard
import SwiftASN1
import Testing
import X509
import _CryptoExtras

@testable import JPKIDaemon

@Suite("Trust and the one-call kiosk login", .serialized)
struct AuthenticateTests {
    /// The anchors for `scenario`'s PKI, as `jpki-sim --export-ca` would write them.
    static func anchors(_ scenario: Scenario) throws -> TrustAnchors {
        let image = try Images.image(scenario)
        let pem = [0x000B, 0x0002].map { fid in
            "-----BEGIN CERTIFICATE-----\n"
                + image.file(UInt16(fid))!.base64EncodedString(options: [.lineLength64Characters])
                + "\n-----END CERTIFICATE-----\n"
        }.joined()
        return TrustAnchors(certificates: try TrustAnchors.parse(pem: pem, name: "test"), source: "test")
    }

    /// A fixture on `scenario` whose anchors are the CAs of `anchorsFrom` (default: the card's own).
    static func fixture(_ scenario: Scenario = Scenario(), anchorsFrom: Scenario? = nil) throws -> DaemonFixture {
        try DaemonFixture(scenario: scenario, trustAnchors: try anchors(anchorsFrom ?? scenario))
    }

    static func authenticate(_ d: DaemonFixture, _ json: String = #"{"pin":"1234"}"#) async throws
        -> (status: Int, body: AuthenticateResponse?, raw: String)
    {
        let response = try await d.request("POST", "/v1/card/authenticate", json: json)
        return (
            response.status, try? APIJSON.decoder().decode(AuthenticateResponse.self, from: response.body),
            String(decoding: response.body, as: UTF8.self)
        )
    }

    static func card(_ d: DaemonFixture) async throws -> CardView {
        let body = try await d.request("GET", "/v1/card").body
        return try #require(try APIJSON.decoder().decode(ReaderView.self, from: body).card)
    }

    @Test func theCardAuthenticatesAgainstItsExportedCA() async throws {
        try await DaemonFixture.with(try Self.fixture()) { d in
            let card = try await Self.card(d)
            #expect(
                card.certificates.mapValues(\.trust) == [.auth: .trusted, .authCA: .trusted, .signCA: .trusted])
            #expect(card.certificates[.auth]?.revocationChecked == false)

            let (status, body, _) = try await Self.authenticate(d)
            #expect(status == 200)
            let login = try #require(body)
            #expect(login.authenticated)
            #expect(login.trust == .trusted)
            #expect(login.revocationChecked == false)
            let challenge = try #require(Data(base64Encoded: login.challenge))
            #expect(challenge.count == 32)
            // Checked here independently of jpkid: the signature is over SHA-256 of the challenge
            // under the card's auth certificate.
            let certificate = try Certificate(pemEncoded: login.certificate)
            var serializer = DER.Serializer()
            try serializer.serialize(certificate)
            #expect(serializer.serializedBytes == Array(d.source.card.image.file(0x000A)!))
            let key = try #require(_RSA.Signing.PublicKey(certificate.publicKey))
            let signature = try #require(login.signature.flatMap { Data(base64Encoded: $0) })
            #expect(
                key.isValidSignature(
                    .init(rawRepresentation: signature), for: SHA256.hash(data: challenge), padding: .insecurePKCS1v1_5)
            )
            #expect(login.serialNumber == card.certificates[.auth]?.serialNumber)
            #expect(login.subject == card.certificates[.auth]?.subject)
            #expect(login.expiryDate == card.certificates[.auth]?.expiryDate)

            // A fresh challenge each time; a given one is signed as given.
            let again = try #require(try await Self.authenticate(d).body)
            #expect(again.challenge != login.challenge)
            let given = Data((0..<20).map { UInt8($0) }).base64EncodedString()
            let withChallenge = try #require(
                try await Self.authenticate(
                    d, #"{"pin":"1234","challenge":"\#(given)","cardId":"\#(card.cardId)"}"#
                ).body)
            #expect(withChallenge.authenticated)
            #expect(withChallenge.challenge == given)
            #expect(d.log.text.contains("authenticated=true") && d.log.text.contains("trust=trusted"))
        }
    }

    @Test func aCardFromAnotherSimulatorPKIIsUntrustedIssuer() async throws {
        var other = Scenario()
        other.name = "another simulator PKI"
        try await DaemonFixture.with(try Self.fixture(anchorsFrom: other)) { d in
            let card = try await Self.card(d)
            #expect(card.certificates[.auth]?.trust == .untrustedIssuer)
            #expect(card.certificates[.authCA]?.trust == .untrustedIssuer)
            let login = try #require(try await Self.authenticate(d).body)
            #expect(!login.authenticated)
            #expect(login.trust == .untrustedIssuer)
            let findings = Diagnosis(language: .japanese).findings(for: card)
            #expect(findings.contains { $0.severity == .problem && $0.summary.contains("この証明書は信頼できる認証局から発行されていません") })
        }
    }

    @Test func anExpiredCardIsExpiredAndNotAuthenticated() async throws {
        let expired = try Scenario.preset(named: "expired")
        try await DaemonFixture.with(try Self.fixture(expired)) { d in
            #expect(try await Self.card(d).certificates[.auth]?.trust == .expired)
            let login = try #require(try await Self.authenticate(d).body)
            #expect(!login.authenticated)
            #expect(login.trust == .expired)
        }
    }

    @Test func aTamperedSignatureIsBadSignatureAndNeverPassedOn() async throws {
        try await DaemonFixture.with(try Self.fixture()) { d in
            d.source.card.faults.tamperSignature = true
            let (status, body, raw) = try await Self.authenticate(d)
            #expect(status == 200)
            let login = try #require(body)
            #expect(!login.authenticated)
            #expect(login.trust == .badSignature)
            #expect(login.signature == nil)
            #expect(!raw.contains("\"signature\""))
            // Plain signing refuses it too: card_error, no signature in the answer.
            let data = Data("document".utf8).base64EncodedString()
            let sign = try await d.request(
                "POST", "/v1/card/sign", json: #"{"key":"auth","pin":"1234","data":"\#(data)"}"#)
            #expect(sign.status == 502)
            #expect(d.error(sign)?.code == .cardError)
            #expect(!String(decoding: sign.body, as: UTF8.self).contains("\"signature\""))
            // The card did sign: the check is jpkid's, not a PIN failure.
            #expect(d.source.card.trace.contains { $0.ins == 0x2A && $0.statusWord == 0x9000 })
            d.source.card.faults.tamperSignature = false
            #expect(try #require(try await Self.authenticate(d).body).authenticated)
        }
    }

    @Test func swappedAuthAndSignCertificatesAreWrongKeyUsage() async throws {
        var swapped = Scenario()
        swapped.swapCertificates = true
        try await DaemonFixture.with(try Self.fixture(swapped)) { d in
            #expect(try await Self.card(d).certificates[.auth]?.trust == .wrongKeyUsage)
            let login = try #require(try await Self.authenticate(d).body)
            #expect(!login.authenticated)
            #expect(login.trust == .wrongKeyUsage)
        }
    }

    @Test func withoutAnchorsTrustIsNotCheckedAndNobodyIsAuthenticated() async throws {
        try await DaemonFixture.with(try DaemonFixture()) { d in
            let card = try await Self.card(d)
            #expect(Set(card.certificates.values.map(\.trust)) == [.notChecked])
            let login = try #require(try await Self.authenticate(d).body)
            #expect(!login.authenticated)
            #expect(login.trust == .notChecked)
            #expect(login.signature != nil)
            let findings = Diagnosis(language: .english).findings(for: card)
            #expect(findings.contains { $0.severity == .info && $0.summary.contains("trust not checked") })
            #expect(!findings.contains { $0.severity == .problem })
            #expect(Diagnosis(language: .japanese).findings(for: card).contains { $0.summary.contains("トラストアンカー") })
        }
    }

    @Test func badInputIsRefusedBeforeTheCardIsTouched() async throws {
        try await DaemonFixture.with(try Self.fixture()) { d in
            let apdus = d.source.card.apduCount
            let cases: [(String, Int, String)] = [
                (#"{"pin":"1234","challenge":"***"}"#, 400, "bad_request"),
                (#"{"pin":"1234","challenge":"AAAAAAAAAAA="}"#, 400, "bad_request"),  // 8 bytes
                (#"{"pin":"12"}"#, 422, "pin_format"),
                (#"{"pin":"1234","extra":1}"#, 400, "bad_request"),
                (#"{"challenge":"AAAAAAAAAAAAAAAAAAAAAA=="}"#, 400, "bad_request"),
                (#"{"pin":"1234","cardId":"000000000000000000000000"}"#, 409, "card_changed"),
            ]
            for (json, status, code) in cases {
                let response = try await d.request("POST", "/v1/card/authenticate", json: json)
                #expect(response.status == status, "\(json)")
                #expect(d.error(response)?.code.rawValue == code, "\(json)")
            }
            #expect(try await d.request("GET", "/v1/card/authenticate").status == 405)
            #expect(d.source.card.apduCount == apdus)
            // A wrong PIN is an error as everywhere, and counts down.
            let wrong = try await d.request("POST", "/v1/card/authenticate", json: #"{"pin":"9999"}"#)
            #expect(wrong.status == 401)
            #expect(d.error(wrong)?.remaining == 2)
        }
    }

    @Test(.enabled(if: canSwitchUsers, "needs root, setpriv and curl"))
    func onlyOperatorsMayAuthenticate() async throws {
        let fixture = try DaemonFixture(
            statusGroup: "65534", operatorGroup: "65533", socketGroup: "65534",
            trustAnchors: try Self.anchors(Scenario()))
        try await DaemonFixture.with(fixture) { d in
            let refused = try await curlAs(
                uid: 65534, gid: 65534, groups: [], socket: d.socketPath, "POST", "/v1/card/authenticate",
                body: #"{"pin":"1234"}"#)
            #expect(refused.status == 403)
            let allowed = try await curlAs(
                uid: 65533, gid: 65533, groups: [65534], socket: d.socketPath, "POST", "/v1/card/authenticate",
                body: #"{"pin":"1234","cardId":"\#(try await d.currentCardID())"}"#)
            #expect(allowed.status == 200)
            #expect(allowed.body.contains(#""authenticated":true"#))
        }
    }
}
