import ErrorCodes
import Foundation
import HTTPServing
import JPKIAPI
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Synchronization
import Testing

@testable import JPKIStaff

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Staff page: access")
struct StaffUIAccessTests {
    let access = StaffUIAccess(port: 18080)

    /// The request as the server makes it from NIO's decoded head.
    func request(_ target: String, _ headers: [String: String], method: String = "GET") throws -> StaffUIRequest {
        let head = HTTPRequestHead(
            version: .http1_1, method: HTTPMethod(rawValue: method), uri: target,
            headers: HTTPHeaders(headers.map { ($0.key, $0.value) }))
        return StaffUIRequest(head: head)
    }

    @Test func onlyThisServersHostIsAllowed() {
        #expect(access.hostAllowed("127.0.0.1:18080"))
        #expect(access.hostAllowed("localhost:18080"))
        #expect(access.hostAllowed("LOCALHOST:18080"))
        for host in [
            nil, "", "127.0.0.1", "localhost", "127.0.0.1:18081", "evil.example:18080", "127.0.0.1.nip.io:18080",
        ] {
            #expect(!access.hostAllowed(host), "\(host ?? "nil")")
        }
    }

    @Test func aTicketMakesOneSessionOnceAndExpires() throws {
        let start = ContinuousClock.now
        let ticket = access.newTicket(now: start)
        #expect(access.redeem("0" + ticket.dropFirst(), now: start) == nil)
        let session = try #require(access.redeem(ticket, now: start))
        #expect(session.cookie != session.csrf && session.cookie.count == 64)
        #expect(access.redeem(ticket, now: start) == nil, "a ticket is spent once")
        let late = access.newTicket(now: start)
        #expect(access.redeem(late, now: start + .seconds(61)) == nil, "a ticket lives 60 s")
    }

    @Test func getsNeedTheCookieAndAPostNeedsCookieHeaderTokenExactOriginAndJSON() throws {
        let session = try #require(access.redeem(access.newTicket()))
        let host = ["Host": "127.0.0.1:18080"]
        let cookie = host.merging(["Cookie": "other=1; \(access.cookieName)=\(session.cookie)"]) { $1 }
        for path in ["/", "/app.js", "/api/state", "/api/events"] {
            #expect(access.decide(try request(path, cookie)) == .allowed, "\(path)")
            #expect(access.decide(try request(path, host)) == .forbidden, "\(path) without the cookie")
        }
        #expect(
            access.decide(try request("/", ["Host": "evil.example:18080", "Cookie": cookie["Cookie"]!])) == .forbidden)
        #expect(access.decide(try request("/launch.js", host)) == .allowed, "no secret in it")

        let path = "/api/readers/r000000/pins/auth/verify"
        let good = cookie.merging([
            "X-Staff-Token": session.csrf, "Content-Type": "application/json", "Origin": "http://127.0.0.1:18080",
        ]) { $1 }
        #expect(access.decide(try request(path, good, method: "POST")) == .allowed)
        for (name, value) in [
            ("Origin", "http://evil.example"), ("Origin", "null"), ("Origin", "http://127.0.0.1:18081"),
            ("Content-Type", "text/plain"), ("X-Staff-Token", session.cookie),
            ("Cookie", "\(access.cookieName)=\(session.csrf)"),
        ] {
            let bad = good.merging([name: value]) { $1 }
            #expect(access.decide(try request(path, bad, method: "POST")) == .forbidden, "\(name): \(value)")
        }
        for name in ["Origin", "X-Staff-Token", "Cookie"] {
            var bad = good
            bad[name] = nil
            #expect(access.decide(try request(path, bad, method: "POST")) == .forbidden, "without \(name)")
        }
        // Only the launcher's endpoint takes Origin: null, and only a form.
        let form = host.merging(["Content-Type": "application/x-www-form-urlencoded", "Origin": "null"]) { $1 }
        #expect(access.decide(try request("/session", form, method: "POST")) == .launch)
        #expect(
            access.decide(
                try request("/session", form.merging(["Origin": "http://evil.example"]) { $1 }, method: "POST"))
                == .forbidden)
    }

    @Test func verifyTargetsAreStrict() {
        #expect(StaffUIRoutes.verifyTarget("/api/readers/r1a2b3c/pins/card-text/verify")! == ("r1a2b3c", "card-text"))
        for path in [
            "/api/readers/r1a2b3/pins/auth/verify", "/api/readers/r1a2b3c/pins/../verify",
            "/api/readers/r1a2b3c/pins/auth/verify/", "/api/readers/R1A2B3C/pins/auth/verify",
            "/api/readers/r1a2b3c/pins/auth/sign",
        ] {
            #expect(StaffUIRoutes.verifyTarget(path) == nil, "\(path)")
        }
    }
}

@Suite("Staff page: assets")
struct StaffUIAssetsTests {
    static let files: [(String, String)] = [
        ("index.html", StaffUIAssets.indexHTML), ("app.js", StaffUIAssets.appJS), ("app.css", StaffUIAssets.appCSS),
        ("genuine.js", StaffUIAssets.genuineJS), ("genuine.css", StaffUIAssets.genuineCSS),
    ]

    /// What the server sends is each file under Sources/JPKIStaff/StaffUI/Page byte for byte (no
    /// transformation, no stale copy), and every file there is served.
    @Test func theServedFilesAreThePageFiles() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/JPKIStaff/StaffUI/Page")
        for (name, embedded) in Self.files {
            let source = try String(contentsOf: root.appendingPathComponent(name), encoding: .utf8)
            #expect(source == embedded, "\(name) differs from what the server sends")
        }
        let onDisk = try FileManager.default.contentsOfDirectory(atPath: root.path).sorted()
        #expect(onDisk == Self.files.map(\.0).sorted(), "a page file is not embedded (Package.swift resources)")
    }

    @Test func thePageNeedsNoCDNAndNoInlineScript() {
        for (name, text) in Self.files {
            #expect(!text.contains("http://") && !text.contains("https://"), "\(name)")
        }
        #expect(!StaffUIAssets.indexHTML.contains("<script>"))
        #expect(!StaffUIAssets.indexHTML.contains("onclick"))
    }
}

@Suite("Staff page: what it shows")
struct StaffViewTests {
    static func list(pins: String, certificates: String, kind: String = "my_number_card") throws -> ReaderList {
        let json = """
            {"readers":[{"id":"r1a2b3c","name":"Reader","state":"ready","card":{"cardId":"0123456789abcdef01234567",
            "kind":"\(kind)","atr":"3B88","certificates":{\(certificates)},"pins":{\(pins)}}}]}
            """
        return try APIJSON.decoder().decode(ReaderList.self, from: Data(json.utf8))
    }

    static func certificate(status: String = "valid", trust: String = "not_checked") -> String {
        """
        {"subject":"CN=secret-subject","issuer":"CN=issuer","serialNumber":"5EC2E7","sha256Fingerprint":"F1F2F3",
        "notBefore":"2025-01-01T00:00:00Z","notAfter":"2030-01-01T00:00:00Z","expiryDate":"2029-12-31",
        "renewableFrom":"2029-10-01","status":"\(status)","daysUntilExpiry":80,"trust":"\(trust)"}
        """
    }

    static let fullPIN = #"{"remaining":3,"max":3,"blocked":false,"verified":false,"available":true}"#
    static let blockedPIN = #"{"remaining":0,"max":3,"blocked":true,"verified":false,"available":true}"#

    @Test func everyPINTheReaderListsIsShownAndUnknownKindsGetAGenericLabel() throws {
        let list = try Self.list(
            pins: """
                "juki":\(Self.fullPIN),"auth":\(Self.fullPIN),"a-future-pin":\(Self.fullPIN),"sign":\(Self.blockedPIN)
                """, certificates: "")
        let view = StaffView(list, diagnosis: Diagnosis(language: .japanese))
        let pins = try #require(view.readers.first?.card?.pins)
        #expect(pins.map(\.kind) == ["auth", "sign", "juki", "a-future-pin"])
        #expect(pins[3].name == "その他の暗証番号")
        #expect(pins[1].blocked && pins[1].stateLabel.contains("ロック中"))
        #expect(pins[0].stateLabel == "残り3回（3/3）")
    }

    @Test func caCertificatesHaveNoRenewalDateAndNothingIdentifyingIsSent() throws {
        let list = try Self.list(
            pins: "\"auth\":\(Self.fullPIN)",
            certificates: """
                "auth":\(Self.certificate(status: "renewable")),"auth-ca":\(Self.certificate(status: "renewable")),
                "sign-ca":\(Self.certificate())
                """)
        let view = StaffView(list, diagnosis: Diagnosis(language: .japanese))
        let certificates = try #require(view.readers.first?.card?.certificates)
        #expect(certificates.map(\.slot) == ["auth", "auth-ca", "sign-ca"])
        #expect(certificates[0].renewableFrom == "2029-10-01")
        #expect(certificates[1].renewableFrom == nil && certificates[2].renewableFrom == nil)
        let json = String(decoding: try APIJSON.encoder().encode(view), as: UTF8.self)
        for secret in ["5EC2E7", "F1F2F3", "secret-subject", "3B88", "serialNumber", "sha256Fingerprint"] {
            #expect(!json.contains(secret), "\(secret) is sent to the page")
        }
        let findings = try #require(view.readers.first?.card?.findings)
        #expect(findings.contains { $0.summary.contains("2029-10-01") && $0.summary.contains("利用者証明用電子証明書") })
        #expect(!findings.contains { $0.summary.contains("認証局") && $0.summary.contains("2029-10-01") })
    }

    /// No Latin words in what a Japanese view shows (the findings, labels and messages).
    static func englishWords(_ view: StaffView) -> [String] {
        var texts = [view.problem?.message, view.problem?.next].compactMap { $0 }
        for reader in view.readers {
            texts += [reader.stateLabel, reader.problem?.message, reader.problem?.next].compactMap { $0 }
            guard let card = reader.card else { continue }
            texts.append(card.kindLabel)
            texts += card.pins.flatMap { [$0.name, $0.stateLabel] }
            texts += card.certificates.flatMap { [$0.name, $0.statusLabel, $0.trustLabel ?? ""] }
            texts += card.findings.flatMap { [$0.summary] + $0.actions }
        }
        return texts.flatMap { $0.matches(of: /[A-Za-z_]{2,}/).map { String($0.output) } }
    }

    @Test(arguments: ["valid", "renewable", "expired", "not_yet_valid"])
    func japaneseViewsHaveNoEnglishTokens(status: String) throws {
        for kind in ["my_number_card", "juki_card", "non_jpki_card", "no_jpki_application", "unknown"] {
            let list = try Self.list(
                pins: "\"auth\":\(Self.blockedPIN),\"sign\":\(Self.fullPIN)",
                certificates: """
                    "auth":\(Self.certificate(status: status)),"auth-ca":\(Self.certificate(trust: "untrusted_issuer")),
                    "sign-ca":\(Self.certificate(trust: "bad_signature"))
                    """,
                kind: kind)
            let view = StaffView(list, diagnosis: Diagnosis(language: .japanese))
            #expect(Self.englishWords(view).isEmpty, "\(kind) \(status): \(Self.englishWords(view))")
        }
    }

    @Test func errorsPeopleUnderstand() {
        let d = Diagnosis(language: .japanese)
        let noReader = StaffView(ReaderList(readers: []), diagnosis: d)
        #expect(noReader.problem?.code == "no_reader")
        #expect(StaffView.unreachable(d).problem?.message.contains("接続できません") == true)
        let codes: [ErrorCode] = [.jpkidUnreachable, .noCard, .unsupportedCard, .cardRemoved, .cardChanged]
        for message in codes.map({ d.staffMessage($0) }) + [d.staffMessage(.noReader)] {
            let code = message.code
            #expect(!message.message.isEmpty && !message.next.isEmpty)
            #expect(message.message.matches(of: /[A-Za-z]{2,}/).isEmpty, "\(code)")
        }
    }
}

@Suite("Staff page: the server")
struct StaffUIServerTests {
    final class Log: Sendable {
        let lines = Mutex<[String]>([])
        func add(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    /// One raw request; the whole answer (the server closes every connection).
    static func send(_ port: Int, _ request: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        try #require(connected == 0)
        let bytes = Array(request.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress!, bytes.count, Int32(MSG_NOSIGNAL)) }
        var answer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, 4096, 0) }
            if n <= 0 { break }
            answer += chunk.prefix(n)
        }
        return String(decoding: answer, as: UTF8.self)
    }

    /// The cookie and CSRF token of a new session, through the launcher's POST.
    static func session(_ server: StaffUIServer) throws -> (cookie: String, csrf: String) {
        let port = server.port
        let ticket = server.access.newTicket()
        let form = "ticket=\(ticket)"
        let launch = try send(
            port,
            "POST /session HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nOrigin: null\r\n"
                + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(form.utf8.count)\r\n\r\n\(form)"
        )
        #expect(launch.hasPrefix("HTTP/1.1 200"))
        #expect(launch.contains("<script src=\"/launch.js\"></script>"))
        let cookieLine = try #require(launch.split(separator: "\r\n").first { $0.hasPrefix("Set-Cookie: ") })
        #expect(cookieLine.hasSuffix("; Path=/; HttpOnly; SameSite=Strict"))
        let cookie = String(cookieLine.dropFirst("Set-Cookie: \(server.access.cookieName)=".count).prefix(64))
        let page = try send(
            port, "GET / HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nCookie: \(server.access.cookieName)=\(cookie)\r\n\r\n")
        #expect(page.hasPrefix("HTTP/1.1 200"))
        let csrf = try #require(page.firstMatch(of: /name="staff-token" content="([0-9a-f]{64})"/)).1
        #expect(String(csrf) != cookie)
        // Spent: the same ticket again is refused.
        let again = try send(
            port,
            "POST /session HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nOrigin: null\r\n"
                + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(form.utf8.count)\r\n\r\n\(form)"
        )
        #expect(again.hasPrefix("HTTP/1.1 403"))
        return (cookie, String(csrf))
    }

    @Test func refusalsPageAndUnreachableJPKID() throws {
        let log = Log()
        let server = try StaffUIServer(port: 0, jpkidSocket: "/nonexistent/jpkid.sock") { log.add($0) }
        let port = server.port
        let host = "Host: 127.0.0.1:\(port)\r\n"
        #expect(server.url == "http://127.0.0.1:\(port)/")

        #expect(try Self.send(port, "GET / HTTP/1.1\r\n\(host)\r\n").hasPrefix("HTTP/1.1 403"))
        let (cookie, csrf) = try Self.session(server)
        let withCookie = "\(host)Cookie: \(server.access.cookieName)=\(cookie)\r\n"
        let rebound =
            "GET / HTTP/1.1\r\nHost: evil.example:\(port)\r\nCookie: \(server.access.cookieName)=\(cookie)\r\n\r\n"
        #expect(try Self.send(port, rebound).hasPrefix("HTTP/1.1 403"))

        let page = try Self.send(port, "GET / HTTP/1.1\r\n\(withCookie)\r\n")
        #expect(page.hasPrefix("HTTP/1.1 200"))
        #expect(page.contains("Content-Security-Policy: default-src 'none'"))
        #expect(page.contains("content=\"\(csrf)\""), "a reload keeps the session")

        let state = try Self.send(port, "GET /api/state HTTP/1.1\r\n\(withCookie)\r\n")
        #expect(state.hasPrefix("HTTP/1.1 200"))
        #expect(state.contains("\"code\":\"jpkid_unreachable\""))

        let pin = "{\"pin\":\"4321\",\"cardId\":\"0123456789abcdef01234567\"}"
        let post =
            "POST /api/readers/r1a2b3c/pins/auth/verify HTTP/1.1\r\n\(withCookie)X-Staff-Token: \(csrf)\r\n"
            + "Origin: http://127.0.0.1:\(port)\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(pin.utf8.count)\r\n\r\n\(pin)"
        let answer = try Self.send(port, post)
        #expect(answer.hasPrefix("HTTP/1.1 502"))
        #expect(!answer.contains("4321"))
        let cookieOnly = post.replacing("X-Staff-Token: \(csrf)\r\n", with: "")
        #expect(try Self.send(port, cookieOnly).hasPrefix("HTTP/1.1 403"), "a cookie alone never authorises a POST")

        let huge = "POST /api/readers/r1a2b3c/pins/auth/verify HTTP/1.1\r\n\(host)Content-Length: 999999\r\n\r\n"
        #expect(try Self.send(port, huge).hasPrefix("HTTP/1.1 413"))
        let longHead = "GET /\(String(repeating: "a", count: 20000)) HTTP/1.1\r\n\(host)\r\n"
        #expect(try Self.send(port, longHead).hasPrefix("HTTP/1.1 413"))

        let events = try Self.send(port, "GET /api/events HTTP/1.1\r\n\(withCookie)\r\n")
        #expect(events.hasPrefix("HTTP/1.1 200"))
        #expect(events.contains("Content-Type: text/event-stream"))
        #expect(events.contains("retry: 1000\n\n") && events.contains("event: unreachable\ndata: {}\n\n"))

        let lines = log.all
        #expect(lines.contains("GET / 403") && lines.contains("GET / 200") && lines.contains("POST /session 200"))
        #expect(lines.contains("GET /api/events 200"))
        #expect(lines.contains("POST /api/readers/r1a2b3c/pins/auth/verify 502"))
        #expect(!lines.contains { $0.contains(cookie) || $0.contains(csrf) || $0.contains("4321") || $0.contains("?") })
    }

    /// Through the real server: NIO's decoder and the shared strict head checks.
    @Test func malformedHeadsAreRefused() throws {
        let log = Log()
        let server = try StaffUIServer(port: 0, jpkidSocket: "/nonexistent/jpkid.sock") { log.add($0) }
        let host = "Host: 127.0.0.1:\(server.port)\r\n"
        for head in [
            "GET / HTTP/2\r\n\(host)", "GET x HTTP/1.1\r\n\(host)", "GET / HTTP/1.1\r\n\(host)Host: b\r\n",
            "GET / HTTP/1.1\r\n\(host)no colon\r\n", "GET / HTTP/1.1\r\n\(host)Content-Length: x\r\n",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n",
        ] {
            let answer = try Self.send(server.port, head + "\r\n")
            #expect(answer.hasPrefix("HTTP/1.1 400"), "\(head): \(answer.prefix(40))")
        }
        #expect(log.all.filter { $0 == "- - 400" }.count == 6)
    }

    /// The server's own pipeline on `EmbeddedChannel`, time advanced by hand: a request must
    /// have arrived 10 s after the connection, its body is capped at 4 KiB.
    @Test func theServersPipelineBoundsTimeAndBody() throws {
        let channel = EmbeddedChannel()
        try StaffUIConnection.addHandlers(to: channel.pipeline.syncOperations)
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\n"))
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        #expect(try channel.readInbound(as: CollectedRequest.self) == nil)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        guard case .refused(nil, .timedOut)? = try channel.readInbound(as: CollectedRequest.self) else {
            Issue.record("no refusal after 10 s")
            return
        }
        for (length, refused) in [(4096, false), (4097, true)] {
            let channel = EmbeddedChannel()
            try StaffUIConnection.addHandlers(to: channel.pipeline.syncOperations)
            try channel.writeInbound(
                ByteBuffer(
                    string: "POST / HTTP/1.1\r\nContent-Length: \(length)\r\n\r\n"
                        + String(repeating: "a", count: length)))
            switch try channel.readInbound(as: CollectedRequest.self) {
            case .refused(_, .tooLarge)?: #expect(refused, "\(length)")
            case .request(_, let body)?: #expect(!refused && body.readableBytes == length, "\(length)")
            default: Issue.record("\(length): nothing")
            }
        }
    }

    @Test func anotherUsersConnectionIsClosedAtOnceAndLogged() throws {
        let log = Log()
        // The peer lookup says: a uid that is neither this page's user nor root.
        let server = try StaffUIServer(
            port: 0, jpkidSocket: "/nonexistent/jpkid.sock", user: StaffUIUser(uid: 4242, gid: 4242),
            peerOwner: { _, _ in 4343 }
        ) { log.add($0) }
        let answer = try Self.send(server.port, "GET / HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\n\r\n")
        #expect(answer.isEmpty, "closed without an answer")
        #expect(log.all.contains("refused a connection from uid 4343 (this page serves uid 4242 and root)"))
        // Many more are closed too, without taking slots, and logged once a second at most.
        for _ in 0..<50 { _ = try Self.send(server.port, "GET / HTTP/1.1\r\n\r\n") }
        #expect(log.all.filter { $0.hasPrefix("refused") }.count <= 3)
        #expect(server.counts.withLock { $0.isEmpty })
    }
}
