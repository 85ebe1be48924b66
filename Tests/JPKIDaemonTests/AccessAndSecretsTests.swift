import CardSimulator
import Foundation
import JPKIAPI
import Testing

@testable import JPKIDaemon

/// Runs curl as another user (setpriv), so the daemon sees a different SO_PEERCRED uid.
func curlAs(uid: Int, gid: Int, groups: [Int], socket: String, _ method: String, _ path: String, body: String? = nil)
    async throws -> (status: Int, body: String)
{
    var arguments = [
        "/usr/bin/setpriv", "--reuid=\(uid)", "--regid=\(gid)",
        groups.isEmpty ? "--clear-groups" : "--groups=\(groups.map(String.init).joined(separator: ","))",
        "/usr/bin/curl", "-s", "-o", "-", "-w", "\n%{http_code}", "--unix-socket", socket, "-X", method,
    ]
    if let body { arguments += ["-H", "content-type: application/json", "-d", body] }
    arguments.append("http://localhost\(path)")
    let (_, output) = try await run(arguments)
    let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
    return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
}

let canSwitchUsers =
    getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")
    && FileManager.default.isExecutableFile(atPath: "/usr/bin/curl")

@Suite("Access control and secrets", .serialized)
struct AccessAndSecretsTests {
    @Test(.enabled(if: canSwitchUsers, "needs root, setpriv and curl"))
    func groupsDecideWhoReadsAndWhoOperates() async throws {
        // Status group 65534 (nogroup), operator group 65533; the socket belongs to 65530, so every
        // caller below holds 65530 to connect at all.
        let fixture = try DaemonFixture(statusGroup: "65534", operatorGroup: "65533", socketGroup: "65530")
        try await DaemonFixture.with(fixture) { d in
            let reader = try await curlAs(
                uid: 65534, gid: 65534, groups: [65530], socket: d.socketPath, "GET", "/v1/readers")
            #expect(reader.status == 200)
            let refused = try await curlAs(
                uid: 65534, gid: 65534, groups: [65530], socket: d.socketPath, "POST", "/v1/card/pins/auth/verify",
                body: #"{"pin":"1234"}"#)
            #expect(refused.status == 403)
            #expect(refused.body.contains(#""code":"forbidden""#))
            let operatorCall = try await curlAs(
                uid: 65533, gid: 65533, groups: [65530], socket: d.socketPath, "POST", "/v1/card/pins/auth/verify",
                body: #"{"pin":"1234","cardId":"\#(try await d.currentCardID())"}"#)
            #expect(operatorCall.status == 200)
            let stranger = try await curlAs(
                uid: 65532, gid: 65532, groups: [65530], socket: d.socketPath, "GET", "/v1/readers")
            #expect(stranger.status == 403)
            // Membership is the peer process's own groups (SO_PEERGROUPS), not /etc/group: a
            // process given the status group as a supplementary group reads status.
            let supplementary = try await curlAs(
                uid: 65529, gid: 65529, groups: [65530, 65534], socket: d.socketPath, "GET", "/v1/readers")
            #expect(supplementary.status == 200)
            // An unauthorised caller cannot tell a reader that exists from one that does not.
            let probeKnown = try await curlAs(
                uid: 65532, gid: 65532, groups: [65530], socket: d.socketPath, "GET",
                "/v1/readers/\(try await d.readerID())")
            let probeUnknown = try await curlAs(
                uid: 65532, gid: 65532, groups: [65530], socket: d.socketPath, "GET", "/v1/readers/r000000")
            #expect(probeKnown.status == 403 && probeUnknown.status == 403)
            let outsider = try await curlAs(
                uid: 65531, gid: 65531, groups: [], socket: d.socketPath, "GET", "/v1/health")
            #expect(outsider.status == 0)  // the 0660 socket: no connection at all
            #expect(d.log.text.contains("forbidden") && d.log.text.contains("uid=65534"))
            #expect(d.log.text.contains("uid=65532"))
            // The refused call changed nothing on the card.
            #expect(d.source.card.image.remainingTries(0x0018, in: "jpki") == 3)
        }
    }

    @Test func noPINAndNoPersonalDataInTheLog() async throws {
        var scenario = Scenario()
        scenario.authPIN = "7291"
        scenario.signPIN = "QX7Z42K"
        scenario.holder.name = "秘密　太郎"
        scenario.holder.address = "北海道札幌市中央区北一条西二丁目"
        scenario.holder.birthDate = "1977-03-14"
        try await DaemonFixture.with(try DaemonFixture(scenario: scenario)) { d in
            _ = try await d.request("POST", "/v1/card/pins/auth/verify", json: #"{"pin":"8305"}"#)
            _ = try await d.request("POST", "/v1/card/pins/auth/verify", json: #"{"pin":"7291"}"#)
            _ = try await d.request("POST", "/v1/card/pins/sign/verify", json: #"{"pin":"QX7Z42K"}"#)
            _ = try await d.request("POST", "/v1/card/pins/auth/verify", json: #"{"pin":"72913"}"#)
            _ = try await d.request("POST", "/v1/card/sign", json: #"{"key":"sign","pin":"qx7z42k","data":"aGk="}"#)
            let certificate = try await d.request("POST", "/v1/card/certificates/sign", json: #"{"pin":"QX7Z42K"}"#)
            #expect(String(decoding: certificate.body, as: UTF8.self).contains("秘密"))
            let log = d.log.text
            #expect(log.contains("pin verified"))
            for secret in ["7291", "8305", "72913", "QX7Z42K", "qx7z42k", "秘密", "太郎", "札幌", "1977", "19770314"] {
                #expect(!log.contains(secret), "log contains \(secret)")
            }
            for entry in d.source.card.trace {
                #expect(!entry.command.contains("37 32 39 31"))
            }
        }
    }
}
