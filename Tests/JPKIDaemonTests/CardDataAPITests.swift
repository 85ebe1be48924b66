import CardSimulator
import ErrorCodes
import Foundation
import JPKIAPI
import JPKIClient
import JPKIStaff
import Testing

@testable import JPKIDaemon

@Suite("Card data API: card text, card face, PIN change", .serialized)
struct CardDataAPITests {
    @Test(.enabled(if: canSwitchUsers, "needs root, setpriv and curl"))
    func cardDataIsForTheOperatorGroupOnly() async throws {
        let fixture = try DaemonFixture(statusGroup: "65534", operatorGroup: "65533", socketGroup: "65534")
        try await DaemonFixture.with(fixture) { d in
            for (path, body) in [
                ("/v1/card/card-text", #"{"pin":"1234"}"#), ("/v1/card/card-face", #"{"pinB":"02010220355678"}"#),
                ("/v1/card/pins/auth/change", #"{"pin":"1234","newPin":"5678"}"#),
            ] {
                let refused = try await curlAs(
                    uid: 65534, gid: 65534, groups: [], socket: d.socketPath, "POST", path, body: body)
                #expect(refused.status == 403, "\(path)")
                #expect(refused.body.contains(#""code":"forbidden""#))
            }
            let allowed = try await curlAs(
                uid: 65533, gid: 65533, groups: [65534], socket: d.socketPath, "POST", "/v1/card/card-text",
                body: #"{"pin":"1234","cardId":"\#(try await d.currentCardID())"}"#)
            #expect(allowed.status == 200)
            // The refused calls changed nothing: no VERIFY, no change, counters intact.
            #expect(d.source.card.image.remainingTries(0x0018, in: "jpki") == 3)
            #expect(d.source.card.image.remainingTries(0x0012, in: "card-face") == 5)
        }
    }

    @Test func cardTextIsNoStoreAndTheMyNumberOnlyOnRequest() async throws {
        try await DaemonFixture.with(try DaemonFixture()) { d in
            let plain = try await d.request("POST", "/v1/card/card-text", json: #"{"pin":"1234"}"#)
            #expect(plain.status == 200)
            #expect(plain.headers["cache-control"] == "no-store")
            let text = try APIJSON.decoder().decode(CardTextResponse.self, from: plain.body)
            #expect(text.myNumber == nil)
            #expect(text.name == "デジタル　花子")
            #expect(text.address == "東京都千代田区霞が関二丁目一番二号")
            #expect(text.birthDate == "1990-01-02")
            #expect(text.sex?.name == "female")
            #expect(!String(decoding: plain.body, as: UTF8.self).contains("123456789018"))

            let named = try await d.request(
                "POST", "/v1/card/card-text", json: #"{"pin":"1234","fields":["myNumber"]}"#)
            let number = try APIJSON.decoder().decode(CardTextResponse.self, from: named.body)
            #expect(number.myNumber == "123456789018")
            #expect(number.name == nil)

            let bad = try await d.request("POST", "/v1/card/card-text", json: #"{"pin":"1234","fields":["iq"]}"#)
            #expect(bad.status == 400)
        }
    }

    @Test func aMalformedPINNeverReachesTheCard() async throws {
        try await DaemonFixture.with(try DaemonFixture()) { d in
            d.source.card.clearTrace()
            for (path, body) in [
                ("/v1/card/card-text", #"{"pin":"12a4"}"#), ("/v1/card/card-face", #"{"pinA":"123456789019"}"#),
                ("/v1/card/card-face", #"{"pinB":"9001022035"}"#),
                ("/v1/card/pins/auth/change", #"{"pin":"1234","newPin":"56789"}"#),
                ("/v1/card/pins/sign/change", #"{"pin":"ABC123","newPin":"abc123"}"#),
            ] {
                let response = try await d.request("POST", path, json: body)
                #expect(response.status == 422, "\(path) \(body)")
                #expect(d.error(response)?.code == .pinFormat)
            }
            #expect(d.source.card.trace.isEmpty, "no APDU at all, so no VERIFY")
        }
    }

    @Test func cardFaceAsJSONAndAsARawPhoto() async throws {
        try await DaemonFixture.with(try DaemonFixture()) { d in
            let json = try await d.request("POST", "/v1/card/card-face", json: #"{"pinA":"123456789018"}"#)
            #expect(json.status == 200)
            #expect(json.headers["cache-control"] == "no-store")
            let face = try APIJSON.decoder().decode(CardFaceResponse.self, from: json.body)
            #expect(
                Data(base64Encoded: try #require(face.photo))?.starts(with: [0, 0, 0, 0x0C, 0x6A, 0x50, 0x20, 0x20])
                    == true)
            #expect(Data(base64Encoded: face.nameImage)?.starts(with: [0x89, 0x50, 0x4E, 0x47]) == true)
            #expect(face.birthDate == "19900102")
            let photo = try await d.request(
                "POST", "/v1/card/card-face?part=photo", json: #"{"pinB":"02010220355678"}"#)
            #expect(photo.status == 200)
            #expect(photo.headers["content-type"] == "image/jp2")
            #expect(photo.headers["cache-control"] == "no-store")
            #expect(photo.body == Data(base64Encoded: try #require(face.photo)))
            let both = try await d.request(
                "POST", "/v1/card/card-face", json: #"{"pinA":"123456789018","pinB":"90010220355678"}"#)
            #expect(both.status == 400)
        }
    }

    @Test func changeThePINThenOnlyTheNewOneWorks() async throws {
        try await DaemonFixture.with(try DaemonFixture()) { d in
            let same = try await d.request(
                "POST", "/v1/card/pins/auth/change", json: #"{"pin":"1234","newPin":"1234"}"#)
            #expect(same.status == 422)
            let changed = try await d.request(
                "POST", "/v1/card/pins/auth/change", json: #"{"pin":"1234","newPin":"8642"}"#)
            #expect(changed.status == 200)
            let body = try APIJSON.decoder().decode(PINChangeResponse.self, from: changed.body)
            #expect(body.result == "changed")
            #expect(body.pin.remaining == 3)
            let old = try await d.request("POST", "/v1/card/pins/auth/verify", json: #"{"pin":"1234"}"#)
            #expect(old.status == 401)
            let new = try await d.request("POST", "/v1/card/pins/auth/verify", json: #"{"pin":"8642"}"#)
            #expect(new.status == 200)
            let juki = try await d.request(
                "POST", "/v1/card/pins/juki/change", json: #"{"pin":"1234","newPin":"8642"}"#)
            #expect(juki.status == 404)
        }
    }

    @Test func aBlockedPINCannotBeChanged() async throws {
        try await DaemonFixture.with(try DaemonFixture(scenario: try Scenario.preset(named: "auth-blocked"))) { d in
            let response = try await d.request(
                "POST", "/v1/card/pins/auth/change", json: #"{"pin":"1234","newPin":"8642"}"#)
            #expect(response.status == 423)
            #expect(d.error(response)?.code == .pinBlocked)
            #expect(!d.source.card.trace.contains { $0.ins == 0x24 })
        }
    }

    @Test func noPersonalDataInTheLogOrTheEventStream() async throws {
        var scenario = Scenario()
        scenario.cardTextPIN = "4829"
        scenario.holder.name = "秘密　太郎"
        scenario.holder.address = "北海道札幌市中央区北一条西二丁目"
        scenario.holder.birthDate = "1977-03-14"
        scenario.holder.sex = "1"
        scenario.holder.myNumber = "987654321093"
        scenario.holder.securityCode = "4711"
        let pinB = scenario.cardFacePINB
        try await DaemonFixture.with(try DaemonFixture(scenario: scenario)) { d in
            let client = d.client
            let (opened, open) = AsyncStream.makeStream(of: Void.self)
            let collected = try await withThrowingTaskGroup(of: [String].self) { group in
                group.addTask {
                    var events: [String] = []
                    _ = try await client.events("/v1/events", onOpen: { open.yield() }) { type, data in
                        events.append("\(type) \(data)")
                        // The wrong auth PIN sent last ends the collection whatever came before.
                        return type != "pin-failed"
                    }
                    return events
                }
                for await _ in opened { break }
                let text = try await d.request(
                    "POST", "/v1/card/card-text",
                    json: #"{"pin":"4829","fields":["myNumber","name","address","birthDate","sex"]}"#)
                #expect(String(decoding: text.body, as: UTF8.self).contains("秘密"))
                let face = try await d.request("POST", "/v1/card/card-face", json: #"{"pinB":"\#(pinB)"}"#)
                #expect(face.status == 200)
                _ = try await d.request("POST", "/v1/card/card-face", json: #"{"pinA":"987654321093"}"#)
                let change = try await d.request(
                    "POST", "/v1/card/pins/card-text/change", json: #"{"pin":"4829","newPin":"3185"}"#)
                #expect(change.status == 200)
                _ = try await d.request("POST", "/v1/card/pins/auth/verify", json: #"{"pin":"9999"}"#)
                return try await group.next()!
            }
            #expect(collected.filter { $0.hasPrefix("pin-verified ") }.count == 4)
            let photo = CardFaceImagesProbe.photoBase64Prefix
            let secrets = [
                "4829", "3185", pinB, "秘密", "太郎", "札幌", "北海道", "1977", "19770314", "770314", "987654321093",
                "1093", "4711", "male", photo,
            ]
            let log = d.log.text
            #expect(log.contains("card-text"))
            for secret in secrets {
                #expect(!log.contains(secret), "log contains \(secret)")
                for event in collected { #expect(!event.contains(secret), "event contains \(secret)") }
            }
        }
    }

    @Test func diagnoseNamesABlockedCardFacePINBWithGuidance() async throws {
        let fixture = try DaemonFixture(scenario: try Scenario.preset(named: "card-face-b-blocked"))
        try await DaemonFixture.with(fixture) { d in
            let view = try APIJSON.decoder().decode(ReaderView.self, from: try await d.request("GET", "/v1/card").body)
            let card = try #require(view.card)
            #expect(card.pins[.cardFacePINB]?.blocked == true)
            #expect(card.pins[.cardFacePINB]?.max == nil, "the card does not report it")
            #expect(card.pins[.cardFacePINA]?.remaining == 5)
            #expect(card.pins[.cardTextPINA]?.remaining == 5)
            let findings = Diagnosis(language: .english).findings(for: card)
            let blocked = try #require(findings.first { $0.summary.contains("card face PIN B") })
            #expect(blocked.severity == .problem)
            #expect(blocked.actions.contains { $0.contains("security code") })
            #expect(blocked.actions.contains { $0.contains("municipal office") })
            #expect(findings.filter { $0.severity == .problem }.count == 1, "no other PIN is reported")
            let ja = Diagnosis(language: .japanese).findings(for: card)
            #expect(ja.contains { $0.summary.contains("券面事項確認の照合番号B") })
        }
    }
}

/// The first bytes of the simulated photo in base64, to grep for.
enum CardFaceImagesProbe {
    static var photoBase64Prefix: String {
        let ef = Array(try! Images.image(Scenario()).file(0x0002, in: "card-face")!)
        let start = ef.indices.first { ef[$0...].starts(with: [0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50]) }!
        return String(Data(ef[start..<(start + 48)]).base64EncodedString().prefix(40))
    }
}
