import Foundation
import JPKIAPI
import JPKIClient
import JPKIStaff
import MyNumberCard
import Testing

@testable import JPKIDaemon

@Suite("sd_notify, socket activation and configuration")
struct SupportTests {
    @Test func notifySendsOneDatagram() throws {
        let path = "/tmp/jpkid-notify-\(UUID().uuidString.prefix(8))"
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer {
            close(fd)
            unlink(path)
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        let notify = SDNotify(environment: ["NOTIFY_SOCKET": path])
        notify.ready(status: "listening")
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = recv(fd, &buffer, 256, 0)
        #expect(String(decoding: buffer.prefix(max(0, n)), as: UTF8.self) == "READY=1\nSTATUS=listening")
        #expect(!SDNotify(environment: [:]).send(["READY=1"]))
    }

    @Test func watchdogAndListenFDs() {
        let pid = String(getpid())
        #expect(SDNotify.watchdogInterval(environment: ["WATCHDOG_USEC": "2000000"]) == .seconds(2))
        #expect(SDNotify.watchdogInterval(environment: ["WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "1"]) == nil)
        #expect(SocketActivation.listeningSocket(environment: ["LISTEN_FDS": "1", "LISTEN_PID": pid]) == 3)
        #expect(
            SocketActivation.listeningSocket(
                environment: ["LISTEN_FDS": "2", "LISTEN_PID": pid, "LISTEN_FDNAMES": "other:jpkid.socket"]) == 4)
        #expect(SocketActivation.listeningSocket(environment: ["LISTEN_FDS": "1", "LISTEN_PID": "1"]) == nil)
        #expect(SocketActivation.listeningSocket(environment: [:]) == nil)
    }

    @Test func configurationFileAndValidation() throws {
        let path = "/tmp/jpkid-config-\(UUID().uuidString.prefix(8)).json"
        defer { unlink(path) }
        try Data(#"{"socket": "/run/x.sock", "logLevel": "debug", "operatorGroup": "staff"}"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        let configuration = try Configuration.load(path: path, required: true)
        #expect(configuration.socket == "/run/x.sock")
        #expect(configuration.operatorGroup == "staff")
        #expect(configuration.statusGroup == "jpkid-status")
        try Data(#"{"logLevel": "loud"}"#.utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: ConfigurationError.self) { try Configuration.load(path: path, required: true) }
        try Data(#"{"maxBodyBytes": "big"}"#.utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: ConfigurationError.self) { try Configuration.load(path: path, required: true) }
        #expect(throws: ConfigurationError.self) { try Configuration.load(path: "/nonexistent.json", required: true) }
        #expect(try Configuration.load(path: "/nonexistent.json", required: false) == Configuration())
        try Data(#"{"opertorGroup": "staff"}"#.utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: ConfigurationError.self) { try Configuration.load(path: path, required: true) }
    }

    @Test func connectionLimitsPerUserWithTheOldNameStillRead() throws {
        let path = "/tmp/jpkid-config-\(UUID().uuidString.prefix(8)).json"
        defer { unlink(path) }
        #expect(Configuration().serverLimits.maxConnectionsPerUser == 32)
        #expect(Configuration().serverLimits.operatorReservedConnections == 32)
        #expect(Configuration().serverLimits.maxEventStreamsPerUser == 8)
        try Data(#"{"maxConnectionsPerClient": 12}"#.utf8).write(to: URL(fileURLWithPath: path))
        #expect(try Configuration.load(path: path, required: true).maxConnectionsPerUser == 12)
        try Data(#"{"maxConnectionsPerUser": 10, "operatorReservedConnections": 4, "maxEventStreamsPerUser": 2}"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        let limits = try Configuration.load(path: path, required: true).serverLimits
        #expect(limits.maxConnectionsPerUser == 10 && limits.operatorReservedConnections == 4)
        #expect(limits.maxEventStreamsPerUser == 2)
        for bad in [
            #"{"maxConnections": 16, "operatorReservedConnections": 16}"#, #"{"maxEventStreamsPerUser": 0}"#,
            #"{"maxConnections": 16, "maxConnectionsPerUser": 17}"#,
        ] {
            try Data(bad.utf8).write(to: URL(fileURLWithPath: path))
            #expect(throws: ConfigurationError.self, "\(bad)") { try Configuration.load(path: path, required: true) }
        }
    }

    @Test func commandLineOverridesWinOverTheFileOnEveryLoad() throws {
        let path = "/tmp/jpkid-config-\(UUID().uuidString.prefix(8)).json"
        defer { unlink(path) }
        try Data(#"{"statusGroup": "kiosk", "operatorGroup": "staff", "logLevel": "debug"}"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        var overrides = Configuration.Overrides()
        overrides.statusGroup = ""
        overrides.logLevel = "warning"
        let configuration = try Configuration.load(path: path, required: true, overrides: overrides)
        #expect(configuration.statusGroup == nil)
        #expect(configuration.operatorGroup == "staff")
        #expect(configuration.logLevel == "warning")
        overrides.logLevel = "loud"
        #expect(throws: ConfigurationError.self) {
            try Configuration.load(path: path, required: true, overrides: overrides)
        }
    }

    @Test func accessPolicy() {
        let policy = AccessPolicy(statusGroup: "65534", operatorGroup: "65533")
        #expect(policy.allows(PeerCredentials(pid: 1, uid: 0, gid: 0), .operate))
        #expect(policy.allows(PeerCredentials(pid: 1, uid: 1000, gid: 65534), .status))
        #expect(!policy.allows(PeerCredentials(pid: 1, uid: 1000, gid: 65534), .operate))
        #expect(policy.allows(PeerCredentials(pid: 1, uid: 1000, gid: 65533), .operate))
        #expect(policy.allows(PeerCredentials(pid: 1, uid: 1000, gid: 65533), .status))
        #expect(!policy.allows(PeerCredentials(pid: 1, uid: 1000, gid: 1000), .status))
        #expect(
            !AccessPolicy(statusGroup: nil, operatorGroup: nil).allows(PeerCredentials(pid: 1, uid: 5, gid: 5), .status)
        )
    }
}

@Suite("Diagnosis for counter staff")
struct DiagnosisTests {
    func card(pins: [PINView.Kind: PINView], certificate: CertificateView.Status = .valid) -> CardView {
        let view = CertificateView.sample(status: certificate)
        return CardView(
            cardId: "0123456789abcdef01234567", kind: .myNumberCard, atr: "", tokenLabel: nil, readAt: Date(),
            certificates: [.auth: view], pins: pins)
    }

    func pin(_ kind: PINKind, _ state: PINStatus.State) -> PINView { PINView(PINStatus(kind: kind, state: state)) }

    @Test func blockedSignPINCanBeResetAtAConvenienceStore() {
        let findings = Diagnosis(language: .japanese).findings(for: card(pins: [.sign: pin(.sign, .blocked)]))
        #expect(findings.count == 1)
        #expect(findings[0].severity == .problem)
        #expect(findings[0].actions[0].contains("コンビニ"))
        #expect(findings[0].actions.contains { $0.contains("住民基本台帳用暗証番号") })
    }

    /// Reference 9 (corrected 2026-12-04): the convenience-store reset works for a JPKI PIN whose
    /// other JPKI PIN the citizen knows, so the auth PIN with the signature PIN.
    @Test func blockedAuthPINCanBeResetAtAConvenienceStoreOnlyWithTheSignPIN() {
        let findings = Diagnosis(language: .english).findings(for: card(pins: [.auth: pin(.auth, .blocked)]))
        #expect(findings[0].actions[0].contains("If the citizen knows the signature PIN"))
        #expect(findings[0].actions[0].contains("convenience-store kiosk"))
        #expect(findings[0].actions[0].contains("Otherwise only the municipal office"))
        #expect(findings[0].actions.contains { $0.contains("inquiry letter") })
    }

    @Test func lastTryAndCertificates() {
        let english = Diagnosis(language: .english)
        #expect(english.findings(for: card(pins: [.auth: pin(.auth, .remaining(1))]))[0].severity == .warning)
        #expect(english.findings(for: card(pins: [.auth: pin(.auth, .remaining(3))])).isEmpty)
        let expired = english.findings(for: card(pins: [:], certificate: .expired))
        #expect(expired[0].severity == .problem)
        #expect(expired[0].actions[0].contains("new certificate can be issued"))
        let renewable = Diagnosis(language: .japanese).findings(for: card(pins: [:], certificate: .renewable))
        #expect(renewable[0].summary.contains("更新期間中"))
    }

    @Test func languageFromLocale() {
        #expect(Language.fromEnvironment(["LANG": "ja_JP.UTF-8"]) == .japanese)
        #expect(Language.fromEnvironment(["LC_ALL": "C", "LANG": "ja_JP.UTF-8"]) == .english)
        #expect(Language.fromEnvironment([:]) == .english)
    }
}

extension CertificateView {
    static func sample(status: CertificateView.Status) -> CertificateView {
        var view = try! JSONDecoder().decode(
            CertificateView.self,
            from: Data(
                #"{"subject":"CN=X","issuer":"CN=Y","serialNumber":"01","sha256Fingerprint":"00","notBefore":0,"notAfter":0,"expiryDate":"2030-07-07","renewableFrom":"2030-04-08","status":"valid","daysUntilExpiry":30}"#
                    .utf8))
        view.status = status
        return view
    }
}
