import CardSimulator
import ErrorCodes
import Foundation
import JPKIAPI
import JPKIClient
import JPKIStaff
import Testing

@testable import JPKIDaemon

/// The card-data keys through the API (reference 1, 3, 5a, 5c, 9): 照合番号B from its printed
/// parts with the era year, credentials that cannot open what is asked for, both JUKI PINs.
@Suite("Card data keys API: 照合番号B parts, credentials, JUKI PINs", .serialized)
struct CardDataKeysAPITests {
    static func verifies(_ d: DaemonFixture) -> Int {
        d.source.card.trace.filter { $0.ins == 0x20 && $0.dataLength > 0 }.count
    }

    @Test func codeBFromItsPartsOpensTheCardFaceAndTheCardText() async throws {
        try await DaemonFixture.with(try DaemonFixture()) { d in
            // 1990-01-02 is Heisei 2: jpkid sends 020102 2035 5678, not the Gregorian 900102.
            let parts = #""birthDate":"1990-01-02","expiryYear":2035,"securityCode":"5678""#
            let face = try await d.request("POST", "/v1/card/card-face", json: "{\(parts)}")
            #expect(face.status == 200, "\(String(decoding: face.body, as: UTF8.self))")
            let text = try await d.request("POST", "/v1/card/card-text", json: "{\(parts)}")
            #expect(text.status == 200)
            let decoded = try APIJSON.decoder().decode(CardTextResponse.self, from: text.body)
            #expect(decoded.name == "デジタル　花子")
            #expect(decoded.myNumber == nil)
            // The raw 14 digits stay accepted.
            let raw = try await d.request("POST", "/v1/card/card-face", json: #"{"pinB":"02010220355678"}"#)
            #expect(raw.status == 200)
            #expect(d.source.card.image.remainingTries(0x0012, in: "card-face") == 5)
        }
    }

    @Test func aGregorianOrIncompleteCodeBSpendsNothing() async throws {
        try await DaemonFixture.with(try DaemonFixture()) { d in
            d.source.card.clearTrace()
            for body in [
                #"{"pinB":"90010220355678"}"#,  // the Gregorian 900102: no era date
                #"{"birthDate":"1990-01-32","expiryYear":2035,"securityCode":"5678"}"#,
                #"{"birthDate":"1990-01-02","expiryYear":1999,"securityCode":"5678"}"#,
                #"{"birthDate":"1990-01-02","expiryYear":2035,"securityCode":"56a8"}"#,
            ] {
                let response = try await d.request("POST", "/v1/card/card-face", json: body)
                #expect(response.status == 422, "\(body)")
                #expect(d.error(response)?.code == .pinFormat)
            }
            for body in [
                #"{"birthDate":"1990-01-02","expiryYear":2035}"#,
                #"{"pinB":"02010220355678","birthDate":"1990-01-02","expiryYear":2035,"securityCode":"5678"}"#,
                #"{}"#,
            ] {
                let response = try await d.request("POST", "/v1/card/card-face", json: body)
                #expect(response.status == 400, "\(body)")
            }
            #expect(d.source.card.trace.isEmpty, "no APDU at all")
        }
    }

    @Test func aCredentialThatCannotOpenTheFieldsIsRefusedBeforeAnyAPDU() async throws {
        try await DaemonFixture.with(try DaemonFixture()) { d in
            d.source.card.clearTrace()
            for body in [
                #"{"pinA":"123456789018"}"#,  // PIN A opens only the my number
                #"{"pinA":"123456789018","fields":["name"]}"#,
                #"{"pinB":"02010220355678","fields":["myNumber"]}"#,
                #"{"birthDate":"1990-01-02","expiryYear":2035,"securityCode":"5678","fields":["myNumber","sex"]}"#,
            ] {
                let response = try await d.request("POST", "/v1/card/card-text", json: body)
                #expect(response.status == 422, "\(body)")
                #expect(d.error(response)?.code == .credentialCannotOpen, "\(body)")
            }
            #expect(d.source.card.trace.isEmpty)
            let number = try await d.request(
                "POST", "/v1/card/card-text", json: #"{"pinA":"123456789018","fields":["myNumber"]}"#)
            #expect(number.status == 200)
            #expect(try APIJSON.decoder().decode(CardTextResponse.self, from: number.body).myNumber == "123456789018")
        }
    }

    @Test func bothJUKIPINsAreShownLabelledAndVerifiedApart() async throws {
        var scenario = Scenario()
        scenario.jukiAPPIN = "5555"
        try await DaemonFixture.with(try DaemonFixture(scenario: scenario)) { d in
            let view = try APIJSON.decoder().decode(ReaderView.self, from: try await d.request("GET", "/v1/card").body)
            let card = try #require(view.card)
            #expect(card.pins[.juki]?.label == "JUKI PIN (common card application)")
            #expect(card.pins[.jukiAP]?.label == "JUKI PIN (JUKI application)")
            #expect(card.pins[.jukiAP]?.remaining == 3)
            let right = try await d.request("POST", "/v1/card/pins/juki-ap/verify", json: #"{"pin":"5555"}"#)
            #expect(right.status == 200)
            let wrong = try await d.request("POST", "/v1/card/pins/juki/verify", json: #"{"pin":"5555"}"#)
            #expect(wrong.status == 401)
            let after = try APIJSON.decoder().decode(ReaderView.self, from: try await d.request("GET", "/v1/card").body)
            #expect(after.card?.pins[.juki]?.remaining == 2)
            #expect(after.card?.pins[.jukiAP]?.remaining == 3)
            // diagnose tells what the difference means.
            let findings = Diagnosis(language: .english).findings(for: try #require(after.card))
            let juki = try #require(findings.first { $0.summary.contains("JUKI PIN is held twice") })
            #expect(juki.summary.contains("common card application: 2 of 3"))
            #expect(juki.actions.contains { $0.contains("Do not try PINs") })
        }
    }

    @Test func theBirthDateKeyTakesADateOrItsEraDigits() async throws {
        try await DaemonFixture.with(try DaemonFixture()) { d in
            let date = try await d.request(
                "POST", "/v1/card/pins/card-face-birth-date/verify", json: #"{"pin":"1990-01-02"}"#)
            #expect(date.status == 200, "\(String(decoding: date.body, as: UTF8.self))")
            // The card does not report this key's maximum: the counter is read again, not guessed.
            let answer = try APIJSON.decoder().decode(VerifyResponse.self, from: date.body)
            #expect(answer.pin.remaining == 5)
            #expect(answer.pin.max == nil)
            let digits = try await d.request(
                "POST", "/v1/card/pins/card-face-birth-date/verify", json: #"{"pin":"020102"}"#)
            #expect(digits.status == 200)
            d.source.card.clearTrace()
            let gregorian = try await d.request(
                "POST", "/v1/card/pins/card-face-birth-date/verify", json: #"{"pin":"900102"}"#)
            #expect(gregorian.status == 422)
            #expect(Self.verifies(d) == 0)
        }
    }

    @Test func aBlockedCodeBGetsCounterOnlyGuidanceNamingApps() async throws {
        try await DaemonFixture.with(try DaemonFixture(scenario: try Scenario.preset(named: "card-face-b-blocked"))) {
            d in
            let view = try APIJSON.decoder().decode(ReaderView.self, from: try await d.request("GET", "/v1/card").body)
            let card = try #require(view.card)
            let en = Diagnosis(language: .english).findings(for: card)
            let blocked = try #require(en.first { $0.summary.contains("card face PIN B") })
            #expect(blocked.actions.contains { $0.contains("eKYC") })
            #expect(blocked.actions.contains { $0.contains("only the municipal counter") })
            #expect(blocked.actions.contains { $0.contains("never recovers with time") })
            let ja = Diagnosis(language: .japanese).findings(for: card)
            let jaBlocked = try #require(ja.first { $0.summary.contains("照合番号B") })
            #expect(jaBlocked.actions.contains { $0.contains("和暦") || $0.contains("西暦") })
            // Every birth date of six digits names the era.
            for text in ja.flatMap({ [$0.summary] + $0.actions }) where text.contains("生年月日6桁") {
                #expect(text.contains("和暦の生年月日6桁"), "\(text)")
            }
        }
    }

    @Test func aBlockedSignPINNamesTheStoreResetWithTheOtherPIN() throws {
        let blocked = PINView(remaining: 0, max: 5, blocked: true, verified: false, available: true)
        let card = CardView(
            cardId: "0", kind: .myNumberCard, atr: "", tokenLabel: nil, readAt: nil, certificates: [:],
            pins: [
                .sign: blocked, .auth: PINView(remaining: 0, max: 3, blocked: true, verified: false, available: true),
            ])
        let findings = Diagnosis(language: .english).findings(for: card)
        let sign = try #require(findings.first { $0.summary.contains("digital signature PIN") })
        #expect(sign.actions.first?.contains("4-digit user authentication PIN") == true)
        #expect(sign.actions.first?.contains("JPKI暗証番号リセット") == true)
        let auth = try #require(findings.first { $0.summary.contains("user authentication PIN") })
        #expect(auth.actions.first?.contains("signature PIN") == true)
    }

    @Test func metricsNameBothJUKIPINsAndTheNewKeys() {
        let text = String(decoding: DaemonMetrics().exposition(), as: UTF8.self)
        for kind in ["juki", "juki-ap", "card-face-birth-date"] {
            #expect(text.contains(#"jpkid_pin_verifications_total{pin="\#(kind)",result="verified"} 0"#), "\(kind)")
        }
        #expect(text.contains("pin=juki is the common card application's 001C PIN, pin=juki-ap the JUKI application's"))
    }
}
