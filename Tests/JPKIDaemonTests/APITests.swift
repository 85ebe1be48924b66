import CardSimulator
import Crypto
import ErrorCodes
import Foundation
import JPKIAPI
import JPKIClient
import JPKIDaemonSimulation
import Testing
import X509
import _CryptoExtras

@testable import JPKIDaemon

@Suite("jpkid API through the real socket", .serialized)
struct APITests {
    @Test func healthReadersAndOneReaderInFull() async throws {
        try await DaemonFixture.with(try DaemonFixture()) { d in
            let health = try APIJSON.decoder().decode(
                HealthView.self, from: try await d.request("GET", "/v1/health").body)
            #expect(health.pcsc == "connected")
            #expect(health.readers == 1)
            let id = try await d.readerID()
            #expect(id == ReaderSession.id(for: SimulatedCardSource.readerName))
            let response = try await d.request("GET", "/v1/readers/\(id)")
            #expect(response.status == 200)
            let reader = try APIJSON.decoder().decode(ReaderView.self, from: response.body)
            #expect(reader.state == .ready)
            let card = try #require(reader.card)
            #expect(card.kind == .myNumberCard)
            #expect(card.tokenLabel == "JPKIAPICCTOKEN2")
            #expect(card.atr == "3B 88 80 01 00 00 05 E0 B3 81 A1 00 7F")
            #expect(Set(card.certificates.keys) == [.auth, .authCA, .signCA])
            #expect(card.certificates[.auth]?.status == .valid)
            #expect(card.pins[.auth] == PINView(.init(kind: .auth, state: .remaining(3))))
            #expect(card.pins[.sign]?.max == 5)
            // The kiosk shortcut stands for the one reader with a card.
            let viaCard = try APIJSON.decoder().decode(
                ReaderView.self, from: try await d.request("GET", "/v1/card").body)
            #expect(viaCard.id == id)
            // A status read is served from the cache; refresh reads the card again.
            let apdus = d.source.card.apduCount
            _ = try await d.request("GET", "/v1/card")
            #expect(d.source.card.apduCount == apdus)
            let refreshed = try APIJSON.decoder().decode(
                ReaderView.self, from: try await d.request("GET", "/v1/card?refresh=true").body)
            #expect(refreshed.card!.readAt! >= card.readAt!)
            #expect(d.source.card.apduCount > apdus)
        }
    }

    @Test func certificatesAsPEMAndDER() async throws {
        try await DaemonFixture.with(try DaemonFixture()) { d in
            let der = try await d.request("GET", "/v1/card/certificates/auth?format=der")
            #expect(der.status == 200)
            #expect(der.headers["content-type"] == "application/pkix-cert")
            #expect(Array(der.body) == Array(d.source.card.image.file(0x000A)!))
            let pem = try await d.request("GET", "/v1/card/certificates/sign-ca")
            #expect(String(decoding: pem.body, as: UTF8.self).hasPrefix("-----BEGIN CERTIFICATE-----"))
            // The sign certificate needs the sign PIN: only POST exists there.
            let getSign = try await d.request("GET", "/v1/card/certificates/sign")
            #expect(getSign.status == 405)
            #expect(getSign.headers["allow"] == "POST")
            #expect(try await d.request("DELETE", "/v1/card/certificates/auth").headers["allow"] == "GET")
            #expect(try await d.request("GET", "/v1/card/certificates/auth?format=txt").status == 400)
        }
    }

    @Test func verifyCountsDownGuardsTheFinalTryAndBlocks() async throws {
        try await DaemonFixture.with(try DaemonFixture()) { d in
            var r = try await d.request("POST", "/v1/card/pins/auth/verify", json: #"{"pin":"9999"}"#)
            #expect(r.status == 401)
            #expect(d.error(r) == ErrorDetail(code: .wrongPIN, message: d.error(r)!.message, remaining: 2))
            r = try await d.request("POST", "/v1/card/pins/auth/verify", json: #"{"pin":"9999"}"#)
            #expect(d.error(r)?.remaining == 1)
            // One try left: refused without confirmation, and no VERIFY with data reaches the card.
            let verifiesBefore = d.source.card.trace.filter { $0.ins == 0x20 && $0.dataLength > 0 }.count
            r = try await d.request("POST", "/v1/card/pins/auth/verify", json: #"{"pin":"1234"}"#)
            #expect(r.status == 409)
            #expect(d.error(r)?.code == .finalAttempt)
            #expect(d.source.card.trace.filter { $0.ins == 0x20 && $0.dataLength > 0 }.count == verifiesBefore)
            r = try await d.request(
                "POST", "/v1/card/pins/auth/verify", json: #"{"pin":"1234","confirmFinalAttempt":true}"#)
            #expect(r.status == 200)
            let ok = try APIJSON.decoder().decode(VerifyResponse.self, from: r.body)
            #expect(ok.result == "verified")
            #expect(ok.pin.remaining == 3)
            #expect(!ok.pin.verified)  // the security state is cleared after every operation
            // Block it.
            for body in [#"{"pin":"0000"}"#, #"{"pin":"0000"}"#, #"{"pin":"0000","confirmFinalAttempt":true}"#] {
                r = try await d.request("POST", "/v1/card/pins/auth/verify", json: body)
            }
            #expect(r.status == 423)
            #expect(d.error(r)?.code == .pinBlocked)
            r = try await d.request("POST", "/v1/card/pins/auth/verify", json: #"{"pin":"1234"}"#)
            #expect(d.error(r)?.code == .pinBlocked)
            let reader = try APIJSON.decoder().decode(
                ReaderView.self, from: try await d.request("GET", "/v1/card").body)
            #expect(reader.card?.pins[.auth]?.blocked == true)
        }
    }

    @Test func badPINFormatIsRefusedBeforeTheCard() async throws {
        try await DaemonFixture.with(try DaemonFixture()) { d in
            let before = d.source.card.apduCount
            for (kind, pin) in [("auth", "12345"), ("sign", "abcdef"), ("juki", "12a4"), ("card-text", "")] {
                let r = try await d.request("POST", "/v1/card/pins/\(kind)/verify", json: #"{"pin":"\#(pin)"}"#)
                #expect(r.status == 422)
                #expect(d.error(r)?.code == .pinFormat)
            }
            let r = try await d.request("POST", "/v1/card/sign", json: #"{"key":"sign","pin":"ABCDEF","data":"aGk="}"#)
            #expect(d.error(r)?.code == .pinFormat)
            #expect(d.source.card.apduCount == before)
        }
    }

    @Test func signsDigestsAndData() async throws {
        try await DaemonFixture.with(try DaemonFixture()) { d in
            let message = Data("login challenge".utf8)
            let digest = Data(SHA256.hash(data: message)).base64EncodedString()
            for body in [
                #"{"key":"auth","pin":"1234","digest":"\#(digest)"}"#,
                #"{"key":"auth","pin":"1234","digestAlgorithm":"sha256","data":"\#(message.base64EncodedString())"}"#,
            ] {
                let r = try await d.request("POST", "/v1/card/sign", json: body)
                #expect(r.status == 200)
                let signed = try APIJSON.decoder().decode(SignResponse.self, from: r.body)
                let certificate = try Certificate(pemEncoded: signed.certificate)
                let key = try #require(_RSA.Signing.PublicKey(certificate.publicKey))
                #expect(
                    key.isValidSignature(
                        .init(rawRepresentation: Data(base64Encoded: signed.signature)!),
                        for: SHA256.hash(data: message),
                        padding: .insecurePKCS1v1_5))
            }
            let r = try await d.request(
                "POST", "/v1/card/sign",
                json: #"{"key":"sign","pin":"ABC123","digestAlgorithm":"sha512","data":"aGVsbG8="}"#)
            let signed = try APIJSON.decoder().decode(SignResponse.self, from: r.body)
            let certificate = try Certificate(pemEncoded: signed.certificate)
            #expect(certificate.issuer.description.contains("JPKI for digital signature"))
        }
    }

    @Test func signCertificateCarriesTheHolderOnlyHere() async throws {
        try await DaemonFixture.with(try DaemonFixture()) { d in
            let r = try await d.request("POST", "/v1/card/certificates/sign", json: #"{"pin":"ABC123"}"#)
            #expect(r.status == 200)
            let response = try APIJSON.decoder().decode(SignCertificateResponse.self, from: r.body)
            #expect(response.holder.name == "デジタル　花子")
            #expect(response.holder.birthDate == "1990-01-02")
            let child = try DaemonFixture(scenario: try Scenario.preset(named: "child"))
            try await DaemonFixture.with(child) { c in
                let r = try await c.request("POST", "/v1/card/certificates/sign", json: #"{"pin":"ABC123"}"#)
                #expect(c.error(r)?.code == .pinNotAvailable)
            }
        }
    }

    @Test func malformedRequestsGetClearErrorsAndChangeNothing() async throws {
        try await DaemonFixture.with(try DaemonFixture()) { d in
            let before = d.source.card.image
            let cases: [(String, String, String?, Int, String)] = [
                ("GET", "/v1/nothing", nil, 404, "not_found"),
                ("GET", "/v2/readers", nil, 404, "not_found"),
                ("GET", "/v1/readers/rffffff", nil, 404, "unknown_reader"),
                ("DELETE", "/v1/readers", nil, 405, "method_not_allowed"),
                ("GET", "/v1/card/pins/auth/verify", nil, 405, "method_not_allowed"),
                ("POST", "/v1/card/pins/face/verify", #"{"pin":"1234"}"#, 404, "not_found"),
                ("POST", "/v1/card/pins/auth/verify", "not json", 400, "bad_request"),
                ("POST", "/v1/card/pins/auth/verify", "[1,2]", 400, "bad_request"),
                ("POST", "/v1/card/pins/auth/verify", "", 400, "bad_request"),
                ("POST", "/v1/card/pins/auth/verify", #"{"pin":1234}"#, 400, "bad_request"),
                ("POST", "/v1/card/pins/auth/verify", #"{"pin":"1234","confirm":true}"#, 400, "bad_request"),
                (
                    "POST", "/v1/card/pins/auth/verify", #"{"pin":"1234","confirmFinalAttempt":"yes"}"#, 400,
                    "bad_request"
                ),
                ("POST", "/v1/card/pins/auth/verify", #"{}"#, 400, "bad_request"),
                ("POST", "/v1/card/sign", #"{"key":"other","pin":"1234","data":"aGk="}"#, 422, "bad_request"),
                ("POST", "/v1/card/sign", #"{"key":"auth","pin":"1234"}"#, 400, "bad_request"),
                (
                    "POST", "/v1/card/sign", #"{"key":"auth","pin":"1234","data":"aGk=","digest":"aGk="}"#, 400,
                    "bad_request"
                ),
                ("POST", "/v1/card/sign", #"{"key":"auth","pin":"1234","digest":"%%%"}"#, 400, "bad_request"),
                ("POST", "/v1/card/sign", #"{"key":"auth","pin":"1234","digest":"aGk="}"#, 422, "invalid_digest"),
                (
                    "POST", "/v1/card/sign", #"{"key":"auth","pin":"1234","digestAlgorithm":"md5","data":"aGk="}"#, 422,
                    "bad_request"
                ),
                ("GET", "/v1/card?refresh=maybe", nil, 400, "bad_request"),
            ]
            for (method, path, body, status, code) in cases {
                let r = try await d.request(method, path, json: body)
                #expect(r.status == status, "\(method) \(path) \(body ?? "")")
                #expect(d.error(r)?.code.rawValue == code, "\(method) \(path) \(body ?? "")")
            }
            let big = "{\"key\":\"auth\",\"pin\":\"1234\",\"data\":\"" + String(repeating: "A", count: 70_000) + "\"}"
            let r = try await d.request("POST", "/v1/card/sign", json: big)
            #expect(r.status == 413)
            #expect(d.error(r)?.code == .payloadTooLarge)
            #expect(d.source.card.image == before)
            // Malformed HTTP itself is answered 400 by the HTTP layer.
            let raw = try await onThread { () -> String in
                try rawExchange(d.socketPath, "NONSENSE\r\n\r\n")
            }
            #expect(raw.hasPrefix("HTTP/1.1 400"))
        }
    }

    @Test func noCardAndRemoval() async throws {
        try await DaemonFixture.with(try DaemonFixture()) { d in
            d.source.removeCard()
            try await d.eventually("the removal is seen") {
                d.error(try await d.request("GET", "/v1/card"))?.code == .noCard
            }
            let id = try await d.readerID()
            let r = try await d.request("POST", "/v1/readers/\(id)/pins/auth/verify", json: #"{"pin":"1234"}"#)
            #expect(d.error(r)?.code == .noCard)
            let view = try APIJSON.decoder().decode(
                ReaderView.self, from: try await d.request("GET", "/v1/readers/\(id)").body)
            #expect(view.state == .empty)
            d.source.insertCard()
            try await d.eventually("the card is read again") {
                try await d.request("GET", "/v1/card").status == 200
            }
        }
    }

    @Test func eventsStreamCarriesNoSecrets() async throws {
        try await DaemonFixture.with(try DaemonFixture()) { d in
            let client = d.client
            let (opened, open) = AsyncStream.makeStream(of: Void.self)
            let collected = try await withThrowingTaskGroup(of: [String].self) { group in
                group.addTask {
                    var events: [String] = []
                    _ = try await client.events("/v1/events", onOpen: { open.yield() }) { type, data in
                        events.append("\(type) \(data)")
                        return events.count < 3
                    }
                    return events
                }
                for await _ in opened { break }
                _ = try await d.request("POST", "/v1/card/pins/auth/verify", json: #"{"pin":"9999"}"#)
                _ = try await d.request("POST", "/v1/card/pins/auth/verify", json: #"{"pin":"1234"}"#)
                _ = try await d.request("POST", "/v1/card/certificates/sign", json: #"{"pin":"ABC123"}"#)
                return try await group.next()!
            }
            #expect(collected.count == 3)
            #expect(collected[0].hasPrefix("pin-failed "))
            #expect(collected[0].contains(#""remaining":2"#))
            #expect(collected[1].hasPrefix("pin-verified "))
            for event in collected {
                for secret in ["9999", "1234", "ABC123", "花子", "霞が関", "1990"] { #expect(!event.contains(secret)) }
            }
        }
    }
}

/// Sends raw bytes and returns the raw answer.
func rawExchange(_ path: String, _ request: String) throws -> String {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
    }
    _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
    }
    let bytes = Array(request.utf8)
    _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress!, bytes.count, 0) }
    var buffer = [UInt8](repeating: 0, count: 4096)
    let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, 4096, 0) }
    return String(decoding: buffer.prefix(max(0, n)), as: UTF8.self)
}
