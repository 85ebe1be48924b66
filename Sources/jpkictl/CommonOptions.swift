import ArgumentParser
import FoundationEssentials
import JPKIAPI
import JPKIClient
import JPKIStaff

/// The options every command that talks to jpkid takes.
struct CommonOptions: ParsableArguments {
    @Option(help: "jpkid's socket (default $JPKID_SOCKET or /run/jpkid/jpkid.sock).")
    var socket: String?

    @Flag(help: "Print the API's JSON instead of a table.")
    var json = false

    @Option(help: "Reader id (from 'jpkictl status'); default: the one reader holding a card.")
    var reader: String?

    @Option(
        help: """
            The card a PIN is meant for (cardId, as 'jpkictl status' shows it); default: the card \
            in the reader when the PIN prompt is shown. Another card is refused (card_changed).
            """)
    var cardId: String?

    func validate() throws {
        if let reader, (try? #/r[0-9a-f]{6}/#.wholeMatch(in: reader)) == nil {
            throw ValidationError("--reader takes an id as 'jpkictl status' shows it, like r1a2b3c")
        }
        if let cardId, (try? #/[0-9a-f]{24}/#.wholeMatch(in: cardId)) == nil {
            throw ValidationError("--card-id takes the 24 hex digits 'jpkictl status' shows")
        }
    }

    /// Where a PIN request goes: the reader and the card in it now (or `--card-id`), looked up
    /// before the PIN is asked for. The request names both, so the PIN reaches that card or none.
    func pinTarget() async throws -> (path: String, cardId: String, label: String) {
        let reader = try decode(ReaderView.self, try await call("GET", base))
        guard let card = reader.card, !card.cardId.isEmpty else {
            printError("no_card: there is no card in \(reader.id)")
            throw Exit.noCard.code
        }
        let id = cardId ?? card.cardId
        return ("/v1/readers/\(reader.id)", id, "\(reader.id), card \(id)")
    }

    var client: UnixHTTPClient {
        UnixHTTPClient(
            socketPath: socket ?? ProcessInfo.processInfo.environment["JPKID_SOCKET"] ?? "/run/jpkid/jpkid.sock")
    }

    /// `/v1/readers/{id}` or `/v1/card`.
    var base: String { reader.map { "/v1/readers/\($0)" } ?? "/v1/card" }

    /// Sends a request; an API error is printed and ends the program with its exit code.
    func call(_ method: String, _ path: String, body: (some Encodable)? = Optional<String>.none) async throws -> Data {
        let payload = try body.map { try APIJSON.encoder().encode($0) }
        let response: UnixHTTPClient.Response
        do {
            response = try await client.send(method, path, json: payload)
        } catch {
            printError("\(error)")
            throw Exit.unreachable.code
        }
        guard (200..<300).contains(response.status) else {
            let detail = (try? APIJSON.decoder().decode(ErrorBody.self, from: response.body))?.error
            if json {
                StandardStream.standardOutput.writeJSON(response.body)
            } else {
                printError(
                    "\(detail?.code.rawValue.terminalSafe ?? "http_\(response.status)"): "
                        + (detail?.message.terminalSafe ?? "HTTP \(response.status)")
                )
            }
            throw Exit.forCode(detail?.code).code
        }
        return response.body
    }

    func decode<T: Decodable>(_ type: T.Type, _ data: Data) throws -> T {
        do {
            return try APIJSON.decoder().decode(type, from: data)
        } catch {
            printError("unexpected answer from jpkid")
            throw Exit.failure.code
        }
    }
}

/// `--confirm-final-attempt`, for every command that verifies a PIN or key.
struct FinalAttemptOption: ParsableArguments {
    @Flag(help: "Go on even when one try is left.")
    var confirmFinalAttempt = false

    /// The request field: `true`, or absent.
    var value: Bool? { confirmFinalAttempt ? true : nil }
}
