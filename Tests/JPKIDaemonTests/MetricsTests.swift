import CardSimulator
import ErrorCodes
import Foundation
import JPKIAPI
import JPKIClient
import JPKIDaemonSimulation
import PCSC
import Testing

@testable import JPKIDaemon

@Suite("Prometheus metrics", .serialized)
struct MetricsTests {
    func exposition(_ d: DaemonFixture) async throws -> Exposition {
        let response = try await d.request("GET", "/v1/metrics")
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        return try Exposition(String(decoding: response.body, as: UTF8.self))
    }

    /// A scripted session (insert, wrong PIN, right PIN, a PIN of the wrong format, sign,
    /// remove), then every counter through `GET /v1/metrics` at its exact value.
    @Test func aScriptedSessionShowsInEveryCounter() async throws {
        try await DaemonFixture.with(try DaemonFixture()) { d in
            let verify = "/v1/card/pins/auth/verify"
            #expect(try await d.request("POST", verify, json: #"{"pin":"9999"}"#).status == 401)
            #expect(try await d.request("POST", verify, json: #"{"pin":"1234"}"#).status == 200)
            #expect(try await d.request("POST", verify, json: #"{"pin":"12"}"#).status == 422)
            let sign = try await d.request(
                "POST", "/v1/card/sign", json: #"{"key":"auth","pin":"1234","data":"aGVsbG8="}"#)
            #expect(sign.status == 200)
            d.source.removeCard()
            try await d.eventually("the card is gone") {
                (try await d.request("GET", "/v1/card")).status == 409
            }
            let m = try await exposition(d)
            let auth = { (result: String) in
                m.value("jpkid_pin_verifications_total", ["pin": "auth", "result": result])
            }
            #expect(m.value("jpkid_cards_inserted_total") == 1)
            #expect(m.value("jpkid_card_reads_total", ["result": "ok"]) == 1)
            #expect(m.value("jpkid_card_read_duration_seconds_count") == 1)
            #expect(auth("wrong_pin") == 1)
            // The verify and the signature's VERIFY.
            #expect(auth("verified") == 2)
            #expect(auth("format") == 1)
            #expect(auth("blocked") == 0)
            #expect(auth("final_attempt_refused") == 0)
            #expect(m.value("jpkid_pin_verifications_total", ["pin": "sign", "result": "verified"]) == 0)
            #expect(m.value("jpkid_pin_blocks_total", ["pin": "auth"]) == 0)
            #expect(m.value("jpkid_signatures_total", ["key": "auth"]) == 1)
            #expect(m.value("jpkid_signatures_total", ["key": "sign"]) == 0)
            #expect(m.value("jpkid_readers_present") == 1)
            #expect(m.value("jpkid_pcsc_available") == 1)
            #expect(m.value("jpkid_pcsc_outages_total") == 0)
            #expect(m.value("jpkid_event_streams_open") == 0)
            // Every APDU the card received, counted where the daemon sends them.
            #expect(m.value("jpkid_apdus_sent_total") == Double(d.source.card.apduCount))
            #expect(d.source.card.apduCount > 0)
            let route = "/v1/card/pins/{kind}/verify"
            for status in ["200", "401", "422"] {
                #expect(
                    m.value("jpkid_http_requests_total", ["route": route, "method": "POST", "status": status]) == 1)
            }
            #expect(
                m.value("jpkid_http_requests_total", ["route": "/v1/card/sign", "method": "POST", "status": "200"]) == 1
            )
            #expect(
                m.value("jpkid_http_request_duration_seconds_count", ["route": route, "method": "POST"]) == 3)
            #expect(
                m.value("jpkid_http_request_duration_seconds_bucket", ["route": route, "method": "POST", "le": "+Inf"])
                    == 3)
            // Every family has its help and type.
            for name in MetricName.allCases.map(\.rawValue) {
                #expect(m.helps[name] != nil, "\(name)")
                #expect(m.types[name] != nil, "\(name)")
            }
        }
    }

    @Test func pinResultsFinalTryAndBlocks() async throws {
        try await DaemonFixture.with(try DaemonFixture()) { d in
            let verify = "/v1/card/pins/auth/verify"
            #expect(try await d.request("POST", verify, json: #"{"pin":"9999"}"#).status == 401)
            #expect(try await d.request("POST", verify, json: #"{"pin":"9999"}"#).status == 401)
            // One try left: refused without confirmation.
            #expect(try await d.request("POST", verify, json: #"{"pin":"9999"}"#).status == 409)
            let last = #"{"pin":"9999","confirmFinalAttempt":true}"#
            #expect(try await d.request("POST", verify, json: last).status == 423)
            // Blocked already: a result, but no second block.
            #expect(try await d.request("POST", verify, json: last).status == 423)
            let m = try await exposition(d)
            let auth = { (result: String) in
                m.value("jpkid_pin_verifications_total", ["pin": "auth", "result": result])
            }
            #expect(auth("wrong_pin") == 2)
            #expect(auth("final_attempt_refused") == 1)
            #expect(auth("blocked") == 2)
            #expect(auth("verified") == 0)
            #expect(m.value("jpkid_pin_blocks_total", ["pin": "auth"]) == 1)
            #expect(m.value("jpkid_pin_blocks_total", ["pin": "sign"]) == 0)
        }
    }

    @Test func pcscOutagesAreCountedOncePerOutage() async throws {
        try await DaemonFixture.with(try DaemonFixture()) { d in
            await d.daemon.registry.handle(.pcscUnavailable(code: .noService))
            await d.daemon.registry.handle(.pcscUnavailable(code: .noService))
            var m = try await exposition(d)
            #expect(m.value("jpkid_pcsc_available") == 0)
            #expect(m.value("jpkid_pcsc_outages_total") == 1)
            await d.daemon.registry.handle(.pcscRestored)
            await d.daemon.registry.handle(.readerRemoved(SimulatedCardSource.readerName))
            m = try await exposition(d)
            #expect(m.value("jpkid_pcsc_available") == 1)
            #expect(m.value("jpkid_pcsc_outages_total") == 1)
            #expect(m.value("jpkid_readers_present") == 0)
            await d.daemon.registry.handle(.pcscUnavailable(code: .noService))
            #expect(try await exposition(d).value("jpkid_pcsc_outages_total") == 2)
        }
    }

    @Test func openEventStreamsAreAGauge() async throws {
        try await DaemonFixture.with(try DaemonFixture()) { d in
            let fd = try openRequest(d.socketPath, "GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n")
            try await d.eventually("the stream is counted") {
                try await exposition(d).value("jpkid_event_streams_open") == 1
            }
            close(fd)
            // The stream notices its client left at its next write.
            try await d.eventually("the stream is no longer counted") {
                d.daemon.events.publish(EventView(type: "pcsc-restored"))
                return try await exposition(d).value("jpkid_event_streams_open") == 0
            }
            let m = try await exposition(d)
            #expect(
                m.value("jpkid_http_requests_total", ["route": "/v1/events", "method": "GET", "status": "200"]) == 1)
        }
    }

    @Test(.enabled(if: canSwitchUsers, "needs root, setpriv and curl"))
    func metricsAreForTheStatusGroupAndOnlyGET() async throws {
        let fixture = try DaemonFixture(statusGroup: "65534", operatorGroup: "65533", socketGroup: "65530")
        try await DaemonFixture.with(fixture) { d in
            let member = try await curlAs(
                uid: 65534, gid: 65534, groups: [65530], socket: d.socketPath, "GET", "/v1/metrics")
            #expect(member.status == 200)
            #expect(try Exposition(member.body).value("jpkid_cards_inserted_total") == 1)
            let stranger = try await curlAs(
                uid: 65532, gid: 65532, groups: [65530], socket: d.socketPath, "GET", "/v1/metrics")
            #expect(stranger.status == 403)
            #expect(try await d.request("POST", "/v1/metrics", json: "{}").status == 405)
        }
    }

    /// No label value carries the card's id, a certificate serial, the reader's name or id,
    /// or a path a client made up: only templates and closed sets.
    @Test func noIdentityInAnyLabel() async throws {
        try await DaemonFixture.with(try DaemonFixture()) { d in
            let reader = try APIJSON.decoder().decode(
                ReaderView.self, from: try await d.request("GET", "/v1/readers/\(try await d.readerID())").body)
            let card = try #require(reader.card)
            let serials = card.certificates.values.map(\.serialNumber)
            #expect(serials.count == 3)
            _ = try await d.request("GET", "/v1/readers/\(reader.id)/certificates/auth")
            _ = try await d.request("GET", "/v1/readers/\(card.cardId)")
            _ = try await d.request("GET", "/v1/card/certificates/\(serials[0])")
            _ = try await d.request("GET", "/v1/\(card.cardId)/x")
            _ = try await d.request(
                "POST", "/v1/card/pins/auth/verify", json: #"{"pin":"9999","cardId":"\#(card.cardId)"}"#)
            let m = try await exposition(d)
            let forbidden = [card.cardId, reader.id, reader.name, SimulatedCardSource.readerName] + serials
            for value in m.labelValues {
                for secret in forbidden { #expect(!value.contains(secret), "label value \(value)") }
            }
            let routes = Set(m.samples.compactMap { $0.labels["route"] })
            #expect(routes.contains("/v1/readers/{id}/certificates/{slot}"))
            #expect(routes.contains("/v1/readers/{id}"))
            #expect(routes.contains("/v1/card/certificates/{slot}"))
            #expect(routes.contains("other"))
        }
    }

    @Test(arguments: [
        ("/v1/health", "/v1/health"), ("/v1/metrics", "/v1/metrics"), ("/v1/readers", "/v1/readers"),
        ("/v1/readers/r0a1b2c", "/v1/readers/{id}"), ("/v1/readers/r0a1b2c/", "/v1/readers/{id}"),
        ("/v1/readers/anything/pins/auth/verify", "/v1/readers/{id}/pins/{kind}/verify"),
        ("/v1/readers/x/pins/sign/change", "/v1/readers/{id}/pins/{kind}/change"),
        ("/v1/readers/x/certificates/sign", "/v1/readers/{id}/certificates/sign"),
        ("/v1/card", "/v1/card"), ("/v1/card/sign", "/v1/card/sign"), ("/v1/card/card-face", "/v1/card/card-face"),
        ("/v1/card/authenticate", "/v1/card/authenticate"), ("/v1/card/card-text", "/v1/card/card-text"),
        ("/v1/card/pins/auth/verify", "/v1/card/pins/{kind}/verify"), ("/", "other"), ("/v2/health", "other"),
        ("/v1/health/x", "other"), ("/v1/readers/x/secret", "other"), ("/v1/card/pins/auth", "other"),
        ("/metrics", "other"), ("/v1/card/pins/auth/verify/x", "other"),
    ])
    func routeTemplates(path: String, template: String) {
        #expect(RouteTemplate.template(for: path) == template)
    }

    @Test func methodsAndCodesAreClosedSets() {
        #expect(RouteTemplate.method("GET") == "GET")
        #expect(RouteTemplate.method("BREW") == "other")
        #expect(DaemonMetrics.codeLabel(.cardRemoved) == "card_removed")
        #expect(DaemonMetrics.codeLabel(ErrorCode(rawValue: "Card Removed")) == "other")
        #expect(DaemonMetrics.codeLabel(ErrorCode(rawValue: "")) == "other")
    }
}
