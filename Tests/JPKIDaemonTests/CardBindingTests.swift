import CardSimulator
import ErrorCodes
import Foundation
import JPKIAPI
import JPKIClient
import Synchronization
import Testing

@testable import JPKIDaemon

/// A PIN reaches only the card it was meant for, and only while somebody waits for the answer.
@Suite("cardId binding and abandoned requests", .serialized)
struct CardBindingTests {
    func view(_ d: DaemonFixture) async throws -> CardView {
        try #require(
            try APIJSON.decoder().decode(ReaderView.self, from: try await d.request("GET", "/v1/card").body).card)
    }

    @Test func everyInsertionGetsAFreshRandomCardIdThatEveryEventCarries() async throws {
        try await DaemonFixture.with(try DaemonFixture()) { d in
            let first = try await view(d).cardId
            #expect(first.range(of: "^[0-9a-f]{24}$", options: .regularExpression) != nil)
            let client = d.client
            let (opened, open) = AsyncStream.makeStream(of: Void.self)
            let events = try await withThrowingTaskGroup(of: [EventView].self) { group in
                group.addTask {
                    var events: [EventView] = []
                    _ = try await client.events("/v1/events", onOpen: { open.yield() }) { _, data in
                        events.append(try! APIJSON.decoder().decode(EventView.self, from: Data(data.utf8)))
                        return events.count < 4
                    }
                    return events
                }
                for await _ in opened { break }
                d.source.removeCard()
                try await d.eventually("the removal is seen") {
                    d.error(try await d.request("GET", "/v1/card"))?.code == .noCard
                }
                d.source.insertCard()
                try await d.eventually("the card is read again") {
                    try await d.request("GET", "/v1/card").status == 200
                }
                _ = try await d.request("POST", "/v1/card/pins/auth/verify", json: #"{"pin":"1234"}"#)
                return try await group.next()!
            }
            let second = try await view(d).cardId
            // The same card put back is a new insertion: a new id, not derived from the card.
            #expect(second != first)
            #expect(events.map(\.type) == ["card-removed", "card-inserted", "card-ready", "pin-verified"])
            #expect(events.map(\.cardId) == [first, second, second, second])
        }
    }

    @Test func aRequestForAnotherInsertionIsRefusedBeforeAnythingReachesTheCard() async throws {
        var other = Scenario()
        other.triesLeft = ["auth": 2, "sign": 4]
        let cardB = try SimulatedCard(image: try Images.image(other))
        try await DaemonFixture.with(try DaemonFixture()) { d in
            let idA = try await view(d).cardId
            // The citizen's card A is swapped for card B between the status and the POST.
            d.source.removeCard()
            try await d.eventually("A is gone") { d.error(try await d.request("GET", "/v1/card"))?.code == .noCard }
            d.source.insertCard(cardB)
            try await d.eventually("B is read") { (try? await view(d).kind) == .myNumberCard }
            let served = cardB.apduCount
            for (path, body) in [
                ("pins/auth/verify", #"{"pin":"9999","cardId":"\#(idA)"}"#),
                ("sign", #"{"key":"auth","pin":"9999","data":"AQI=","cardId":"\#(idA)"}"#),
                ("certificates/sign", #"{"pin":"XYZ789","cardId":"\#(idA)"}"#),
            ] {
                let response = try await d.request("POST", "/v1/card/\(path)", json: body)
                #expect(response.status == 409)
                #expect(d.error(response)?.code == .cardChanged)
            }
            #expect(cardB.apduCount == served)
            #expect(cardB.image.remainingTries(0x0018, in: "jpki") == 2)
            #expect(cardB.image.remainingTries(0x001B, in: "jpki") == 4)
            // With B's own id the request goes through.
            let idB = try await view(d).cardId
            let ok = try await d.request(
                "POST", "/v1/card/pins/auth/verify", json: #"{"pin":"1234","cardId":"\#(idB)"}"#)
            #expect(ok.status == 200)
        }
    }

    @Test func everyRequestThatSendsAPINOrCardFaceCodeMustNameTheCard() async throws {
        try await DaemonFixture.with(try DaemonFixture()) { d in
            let sim = d.source.card
            let served = sim.apduCount
            for (path, body) in [
                ("pins/auth/verify", #"{"pin":"9999"}"#),
                ("pins/auth/verify", #"{"pin":"9999","cardId":null}"#),
                ("sign", #"{"key":"auth","pin":"9999","data":"AQI="}"#),
                ("certificates/sign", #"{"pin":"XYZ789"}"#),
                ("authenticate", #"{"pin":"9999"}"#),
                ("card-text", #"{"pin":"9999"}"#),
                ("card-face", #"{"pinA":"123456789018"}"#),
                ("pins/auth/change", #"{"pin":"9999","newPin":"5678"}"#),
            ] {
                let response = try await d.request("POST", "/v1/card/\(path)", json: body, bindCard: false)
                #expect(response.status == 400, "\(path)")
                #expect(d.error(response)?.code == .badRequest, "\(path)")
                #expect(d.error(response)?.message.contains("'cardId'") == true, "\(path)")
            }
            #expect(sim.apduCount == served)
            #expect(sim.image.remainingTries(0x0018, in: "jpki") == 3)
        }
    }

    @Test func aClientThatLeavesWhileItsVerifyWaitsForTheCardSpendsNoTry() async throws {
        try await DaemonFixture.with(try DaemonFixture()) { d in
            let sim = d.source.card
            // Another PC/SC client holds the card.
            try await sim.transactions.lock()
            let body = #"{"pin":"9999","cardId":"\#(try await view(d).cardId)"}"#
            let fd = try openRequest(
                d.socketPath,
                "POST /v1/card/pins/auth/verify HTTP/1.1\r\nHost: jpkid\r\nContent-Type: application/json\r\n"
                    + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
            try await d.eventually("jpkid's verify waits for the card") { sim.transactions.waiterCount == 1 }
            // The kiosk gives up (its client timed out) and closes the connection.
            close(fd)
            try await d.eventually("the abandoned verify stops waiting") { sim.transactions.waiterCount == 0 }
            sim.transactions.unlock()
            // Whatever comes next, that PIN was never sent.
            _ = try await d.request("GET", "/v1/card?refresh=true")
            #expect(!sim.trace.contains { $0.ins == 0x20 && $0.dataLength > 0 })
            #expect(sim.image.remainingTries(0x0018, in: "jpki") == 3)
        }
    }

    @Test func aClientThatHalfClosesAfterItsRequestStillGetsTheAnswer() async throws {
        try await DaemonFixture.with(try DaemonFixture()) { d in
            let answer = try await onThread { () -> String in
                let fd = try openRequest(d.socketPath, "GET /v1/health HTTP/1.1\r\nHost: jpkid\r\n\r\n")
                defer { close(fd) }
                shutdown(fd, Int32(SHUT_WR))
                var buffer = [UInt8](repeating: 0, count: 4096)
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, 4096, 0) }
                return String(decoding: buffer.prefix(max(0, n)), as: UTF8.self)
            }
            #expect(answer.hasPrefix("HTTP/1.1 200"))
        }
    }
}

/// Connects, sends `request` and returns the open socket without reading.
func openRequest(_ path: String, _ request: String) throws -> Int32 {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
    }
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
    }
    guard connected == 0 else {
        close(fd)
        throw FixtureError("cannot connect to \(path)")
    }
    let bytes = Array(request.utf8)
    _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress!, bytes.count, 0) }
    return fd
}

/// What comes until `marker` has come, the peer closes or 10 s pass without a byte.
func readUntil(_ fd: Int32, _ marker: String) -> String {
    var timeout = timeval(tv_sec: 10, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var text = ""
    var buffer = [UInt8](repeating: 0, count: 4096)
    while !text.contains(marker) {
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, 4096, 0) }
        guard n > 0 else { break }
        text += String(decoding: buffer.prefix(n), as: UTF8.self)
    }
    return text
}
