import CardSimulator
import Foundation
import FuzzSupport
import HTTPServing
import JPKIAPI
import JPKIDaemonSimulation
import Logging
import MyNumberCard
import NIOHTTP1
import Synchronization

@testable import JPKIDaemon

/// The HTTP request path behind the socket: `RequestTarget.split` on the request target, then
/// `APIHandler.handle` (routing, access control, strict JSON bodies) against an in-process
/// registry over a simulated card, as the server calls them for each request.
///
/// Input: the first line is `METHOD TARGET`, the rest is the body. A leading `~` makes the peer
/// uid 65534 (in no group) instead of root.
///
/// Invariants: every answer is JSON (an ``ErrorBody`` for 4xx/5xx), a certificate, or the event
/// stream of `GET /v1/events`; no 500; the unprivileged peer never gets a 2xx; a PIN from the body
/// never shows in an error answer or a log line.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTP(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    let privileged = input.first != UInt8(ascii: "~")
    let request = input.dropFirst(privileged ? 0 : 1)
    let newline = request.firstIndex(of: 0x0A) ?? request.endIndex
    let line = String(decoding: request[request.startIndex..<newline], as: UTF8.self)
    let body = Array(request[min(newline + 1, request.endIndex)...])
    let words = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
    let method = HTTPMethod(rawValue: String(words[0]))
    let (path, query) = RequestTarget.split(words.count == 2 ? String(words[1]) : "")

    let fixture = Fixture.shared
    fixture.log.lines.withLock { $0.removeAll() }
    let peer = privileged ? PeerCredentials(pid: 1, uid: 0, gid: 0) : PeerCredentials(pid: 1, uid: 65534, gid: 65534)
    let apiRequest = APIRequest(method: method, path: path, query: query, headers: [:], body: body, peer: peer)
    let handler = fixture.handler
    let response = runBlocking { await handler.handle(apiRequest) }

    switch response {
    case .events:
        require(
            method == .GET && path.split(separator: "/") == ["v1", "events"] && privileged,
            "an event stream for \(method) \(path)")
    case .body(let status, let contentType, let bytes, _):
        require(status.code >= 200 && status.code < 600, "status \(status.code)")
        require(status.code != 500, "500 for \(method) \(path): \(String(decoding: bytes, as: UTF8.self))")
        require(privileged || status.code >= 400, "an unprivileged peer got \(status.code) for \(path)")
        switch contentType {
        case "application/json":
            require(
                (try? JSONSerialization.jsonObject(with: Data(bytes))) != nil,
                "not JSON: \(String(decoding: bytes, as: UTF8.self))")
            if status.code >= 400 {
                let error = try? APIJSON.decoder().decode(ErrorBody.self, from: Data(bytes))
                require(
                    error.map { !$0.error.code.rawValue.isEmpty && !$0.error.message.isEmpty } == true,
                    "not an error body")
                // On the decoded message: the JSON escape of a NUL in an echoed path is "\u0000".
                if let pin = pinInBody(body), line.range(of: pin) == nil, let error {
                    require(
                        error.error.message.range(of: pin) == nil && error.error.code.rawValue.range(of: pin) == nil,
                        "an error shows the PIN")
                }
            }
        case "image/jp2":
            require(status == .ok && method == .POST && path.hasSuffix("card-face"), "a photo for \(path)")
        case "application/x-pem-file", "application/pkix-cert":
            require(status == .ok && method == .GET && path.contains("certificates"), "a certificate for \(path)")
        default:
            require(false, "content type \(contentType)")
        }
    }
    if let pin = pinInBody(body), pin.utf8.count >= 6, line.range(of: pin) == nil {
        let lines = fixture.log.lines.withLock { $0 }
        require(!lines.contains { $0.range(of: pin) != nil }, "a log line shows the PIN")
    }
    fixture.restoreCardIfChanged()
    return 0
}

/// The `pin` of a JSON body, when it is written plainly and only once in the body (and the caller
/// checks it is not in the request line), so an echo of another part of the request is not
/// mistaken for a leak.
private func pinInBody(_ body: [UInt8]) -> String? {
    guard !body.contains(UInt8(ascii: "\\")),
        let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
        let pin = object["pin"] as? String, pin.utf8.count >= 4
    else { return nil }
    let text = String(decoding: body, as: UTF8.self)
    return text.components(separatedBy: pin).count == 2 ? pin : nil
}

/// One registry, its reader and the default simulated card, built once per process. A request
/// that changes the card (a wrong PIN spends a try) gets a fresh copy of the card back in the
/// reader afterwards, so every input meets the same counters.
final class Fixture: Sendable {
    static let shared = Fixture()

    let image: CardImage
    let source: SimulatedCardSource
    let registry: ReaderRegistry
    let handler: APIHandler
    let log = LogLines()

    private init() {
        do {
            image = try CardBuilder.build(Scenario())
            source = SimulatedCardSource(card: try SimulatedCard(image: image))
        } catch {
            fatalError("the simulated card could not be built: \(error)")
        }
        let capture = log
        let logger = Logger(label: "jpkid-fuzz") { _ in CapturingHandler(capture: capture) }
        let events = EventBus()
        registry = ReaderRegistry(source: source, events: events, logger: logger)
        handler = APIHandler(
            registry: registry, events: events,
            policy: PolicyStore(AccessPolicy(statusGroup: nil, operatorGroup: nil)), logger: logger)
        let registry = self.registry
        Task { await registry.run() }
        waitUntilRead(previous: nil)
    }

    func restoreCardIfChanged() {
        let card = source.card
        card.clearTrace()
        guard card.image != image else { return }
        let previous = runBlocking { [registry] in await registry.allSessions().first?.view().card?.cardId }
        source.removeCard()
        do {
            source.insertCard(try SimulatedCard(image: image))
        } catch {
            fatalError("the simulated card could not be rebuilt: \(error)")
        }
        waitUntilRead(previous: previous)
    }

    /// Waits until the reader has read a card inserted after `previous` (bounded: a hang is a finding).
    private func waitUntilRead(previous: String?) {
        let registry = self.registry
        let ready = runBlocking {
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                if let view = await registry.allSessions().first?.view(), view.state == .ready,
                    let card = view.card, card.cardId != previous
                {
                    return true
                }
                try? await Task.sleep(for: .milliseconds(1))
            }
            return false
        }
        require(ready, "the simulated card was not read within 30 s")
    }
}

/// Every log line of the current input, for the PIN check.
final class LogLines: Sendable {
    let lines = Mutex<[String]>([])
}

struct CapturingHandler: LogHandler {
    let capture: LogLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        capture.lines.withLock { $0.append("\(event.level) \(event.message) \(all)") }
    }
}

@main
enum HTTPFuzzer {
    static func main() {
        // Built before libFuzzer starts, so its one-time allocations are not taken for leaks.
        _ = Fixture.shared
        runFuzzer(fuzzHTTP)
    }
}
