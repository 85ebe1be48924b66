import CardSimulator
import ErrorCodes
import Foundation
import JPKIAPI
import JPKIClient
import MyNumberCard
import Synchronization
import Testing

@testable import JPKIDaemon

/// The simulator's CVC hierarchy for the daemon tests, and jpkid's table that trusts it.
enum GenuineHierarchy {
    static let hierarchy = try! CVCHierarchy.generate()
    private static let images = Mutex<[String: CardImage]>([:])

    static var authorities: CVCAuthorities {
        var entries = CVCAuthorities.builtIn.entries.values.map { $0 }
        for ca in [hierarchy.cardFaceCA, hierarchy.cardTextCA] {
            let data = try! JSONSerialization.data(withJSONObject: try! ca.publicKeyFile())
            entries.append(try! CVCAuthorities.parse(keyFile: data, path: ca.id))
        }
        return CVCAuthorities(entries: entries, allowedTestIDs: Set(entries.map(\.id).filter(\.isTestHierarchy)))
    }

    static func image(_ scenario: String) throws -> CardImage {
        if let image = images.withLock({ $0[scenario] }) { return image }
        let image = try CardBuilder.build(try Scenario.preset(named: scenario), hierarchy: hierarchy)
        images.withLock { $0[scenario] = image }
        return image
    }
}

@Suite("Genuine-card check API", .serialized)
struct GenuineAPITests {
    static let pinB = #"{"pinB":"\#(Scenario().cardFacePINB)"}"#

    @Test(arguments: [
        ("default", "genuine"), ("forged-face", "forged"), ("cloned-chip", "forged"),
        ("unknown-issuer", "unknown_issuer"), ("key-mismatch", "key_mismatch"),
    ])
    func eachVerdictThroughTheAPI(scenario: String, verdict: String) async throws {
        let fixture = try DaemonFixture(
            image: try GenuineHierarchy.image(scenario), cvcAuthorities: GenuineHierarchy.authorities)
        try await DaemonFixture.with(fixture) { d in
            let response = try await d.request("POST", "/v1/card/card-face/check", json: Self.pinB)
            #expect(response.status == 200, "\(String(decoding: response.body, as: UTF8.self))")
            #expect(response.headers["cache-control"] == "no-store")
            let check = try APIJSON.decoder().decode(CardFaceCheckResponse.self, from: response.body)
            #expect(check.verdict == verdict, "\(check.steps)")
            #expect(check.steps.map(\.step).contains("card-face-challenge"))
            #expect(check.face?.photo == nil, "the photo only when asked")
            #expect(check.face?.birthDate == "19900102")
            #expect((verdict == "genuine") == (check.reason == nil))
            #expect(!check.nextSteps.ja.isEmpty && !check.nextSteps.en.isEmpty)

            let metrics = try Exposition(
                String(decoding: try await d.request("GET", "/v1/metrics").body, as: UTF8.self))
            #expect(metrics.value("jpkid_genuine_checks_total", ["check": "card-face", "verdict": verdict]) == 1)
            // Personal data never reaches the log: only the verdict does.
            #expect(!d.log.text.contains("19900102") && !d.log.text.contains("1990-01-02"))
            #expect(d.log.text.contains(verdict))
        }
    }

    @Test func thePhotoOnlyWhenAskedAndAMistypedCodeCostsNothing() async throws {
        let fixture = try DaemonFixture(
            image: try GenuineHierarchy.image("default"), cvcAuthorities: GenuineHierarchy.authorities)
        try await DaemonFixture.with(fixture) { d in
            let pinB = Scenario().cardFacePINB
            let asked = try await d.request(
                "POST", "/v1/card/card-face/check", json: #"{"pinB":"\#(pinB)","photo":true}"#)
            let check = try APIJSON.decoder().decode(CardFaceCheckResponse.self, from: asked.body)
            #expect(
                check.face?.photo.flatMap { Data(base64Encoded: $0) }?.starts(with: CardFace.jpeg2000Signature) == true)

            d.source.card.clearTrace()
            for body in [
                #"{"pinB":"9001022035"}"#, #"{"pinB":"90133120355678"}"#, #"{"pinA":"123456789019"}"#,
                #"{"pinA":"123456789018","pinB":"\#(pinB)"}"#, #"{"pinB":"\#(pinB)","renderedMyNumber":true}"#,
                #"{"pinB":"\#(pinB)","shoeSize":44}"#,
            ] {
                let response = try await d.request("POST", "/v1/card/card-face/check", json: body)
                #expect([400, 422].contains(response.status), "\(body)")
            }
            #expect(d.source.card.trace.isEmpty, "no APDU at all, so no try spent")
        }
    }

    @Test func theCheckIsForOperators() {
        guard case .found(let route, _) = APIRoute.match(.POST, "/v1/readers/r000000/card-face/check") else {
            Issue.record("no route")
            return
        }
        #expect(route.access == .operate)
        #expect(route.endpoint == .reader(.cardFaceCheck))
    }

    @Test func theCheckTakesTheThreePrintedParts() async throws {
        let fixture = try DaemonFixture(
            image: try GenuineHierarchy.image("default"), cvcAuthorities: GenuineHierarchy.authorities)
        try await DaemonFixture.with(fixture) { d in
            let body = #"{"birthDate":"1990-01-02","expiryYear":2035,"securityCode":"5678"}"#
            let response = try await d.request("POST", "/v1/card/card-face/check", json: body)
            let check = try APIJSON.decoder().decode(CardFaceCheckResponse.self, from: response.body)
            #expect(check.verdict == "genuine")
        }
    }

    @Test func theAgeCheck() async throws {
        let fixture = try DaemonFixture(
            image: try GenuineHierarchy.image("default"), cvcAuthorities: GenuineHierarchy.authorities)
        try await DaemonFixture.with(fixture) { d in
            func ask(_ body: String) async throws -> (Int, AgeCheckResponse?) {
                let response = try await d.request("POST", "/v1/card/age-check", json: body)
                return (response.status, try? APIJSON.decoder().decode(AgeCheckResponse.self, from: response.body))
            }
            let (status, adult) = try await ask(#"{"birthDate":"1990-01-02","minimumAge":20,"date":"2026-12-05"}"#)
            #expect(status == 200)
            #expect(adult?.verdict == "genuine")
            #expect(adult?.atLeastMinimumAge == true)
            #expect(adult?.birthDate == nil)
            let (_, young) = try await ask(
                #"{"birthDate":"1990-01-02","minimumAge":37,"date":"2026-12-05","returnBirthDate":true}"#)
            #expect(young?.atLeastMinimumAge == false)
            #expect(young?.birthDate == "1990-01-02")
            // Today in Japan by default.
            let (_, today) = try await ask(#"{"birthDate":"1990-01-02","minimumAge":18}"#)
            #expect(today?.date.count == 10 && today?.atLeastMinimumAge == true)

            d.source.card.clearTrace()
            for bad in [
                #"{"birthDate":"1990-13-02","minimumAge":20}"#, #"{"birthDate":"2990-01-02","minimumAge":20}"#,
                #"{"birthDate":"1990-01-02","minimumAge":0}"#,
                #"{"birthDate":"1990-01-02","minimumAge":20,"date":"x"}"#,
            ] {
                let (status, _) = try await ask(bad)
                #expect([400, 422].contains(status), "\(bad)")
            }
            #expect(d.source.card.trace.isEmpty, "no APDU, no try spent")

            // A wrong birth date costs a try of the birth-date key, and says so.
            let wrong = try await d.request(
                "POST", "/v1/card/age-check", json: #"{"birthDate":"1990-01-03","minimumAge":20}"#)
            #expect(wrong.status == 401)
            #expect(d.error(wrong)?.code == .wrongPIN)

            let metrics = try Exposition(
                String(decoding: try await d.request("GET", "/v1/metrics").body, as: UTF8.self))
            #expect(metrics.value("jpkid_genuine_checks_total", ["check": "age", "verdict": "genuine"]) == 3)
            #expect(!d.log.text.contains("1990"))
        }
    }

    @Test func theCardTextCheck() async throws {
        let fixture = try DaemonFixture(
            image: try GenuineHierarchy.image("default"), cvcAuthorities: GenuineHierarchy.authorities)
        try await DaemonFixture.with(fixture) { d in
            let plain = try await d.request("POST", "/v1/card/card-text/check", json: #"{"pin":"1234"}"#)
            #expect(plain.status == 200)
            #expect(plain.headers["cache-control"] == "no-store")
            let check = try APIJSON.decoder().decode(CardTextCheckResponse.self, from: plain.body)
            #expect(check.verdict == "genuine", "\(check.steps)")
            // What a card-text genuine does not prove is said, in both languages and in the step.
            #expect(check.nextSteps.en.contains("does not prove that this data belongs to this chip"))
            #expect(check.nextSteps.ja.contains("このデータがこのチップのものであることまでは証明しません"))
            #expect(
                check.steps.first { $0.step == "card-text-challenge" }?.detail.contains(
                    "not that this data belongs to this chip") == true)
            #expect(check.text.myNumber == nil)
            #expect(check.steps.first { $0.step == "card-text-my-number" }?.result == "not_applicable")
            let named = try await d.request(
                "POST", "/v1/card/card-text/check", json: #"{"pin":"1234","fields":["myNumber"]}"#)
            let withNumber = try APIJSON.decoder().decode(CardTextCheckResponse.self, from: named.body)
            #expect(withNumber.steps.first { $0.step == "card-text-my-number" }?.result == "passed")
            #expect(withNumber.verdict == "genuine")
            // PIN B cannot open the my number: refused before any APDU.
            d.source.card.clearTrace()
            let refused = try await d.request(
                "POST", "/v1/card/card-text/check",
                json: #"{"birthDate":"1990-01-02","expiryYear":2035,"securityCode":"5678","fields":["myNumber"]}"#)
            #expect([400, 422].contains(refused.status))
            #expect(d.source.card.trace.isEmpty)
        }
    }

    @Test func aChipThatRefusesOnlyTheChallengeIsNotToldToTryAgain() {
        func steps(_ results: [(String, String)]) -> [GenuineStepView] {
            results.map { GenuineStepView(step: $0.0, result: $0.1, detail: "") }
        }
        let refused = NextSteps.forVerdict(
            "not_checked",
            steps: steps([
                ("card-face-cvc", "passed"), ("card-face-signature", "passed"),
                ("rendered-my-number", "not_applicable"),
                ("card-face-challenge", "not_checked"),
            ]))
        #expect(refused.en.contains("the chip did not prove it is present"))
        #expect(refused.en.contains("do not accept it as IC-verified"))
        #expect(!refused.en.contains("Try again"))
        #expect(refused.ja.contains("ＩＣチップ確認済みとして受け付けないでください"))
        let textRefused = NextSteps.forVerdict(
            "not_checked",
            steps: steps([
                ("card-text-cvc", "passed"), ("card-text-record", "passed"), ("card-text-attributes", "passed"),
                ("card-text-my-number", "not_applicable"), ("card-text-key", "passed"),
                ("card-text-challenge", "not_checked"),
            ]), cardText: true)
        #expect(textRefused == refused)
        // Another step not done: try again once, as before.
        let unread = NextSteps.forVerdict(
            "not_checked", steps: steps([("card-face-cvc", "not_checked"), ("card-face-challenge", "not_checked")]))
        #expect(unread.en.contains("Try again once"))
        #expect(NextSteps.forVerdict("not_checked").en.contains("Try again once"))
    }
}
