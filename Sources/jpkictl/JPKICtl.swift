import ArgumentParser
import ErrorCodes
import FoundationEssentials
import JPKIAPI
import JPKIClient
import JPKIStaff

#if canImport(Glibc)
    import Glibc
#endif

/// Exit codes, documented in docs/jpkictl.md.
enum Exit: Int32 {
    case ok = 0
    case failure = 1
    case unreachable = 2
    case forbidden = 3
    case noCard = 4
    case wrongPIN = 5
    case pinBlocked = 6
    case finalAttempt = 7
    case badInput = 8
    case notVerified = 9
    case attentionNeeded = 10

    static func forCode(_ code: ErrorCode?) -> Exit {
        switch code {
        case .forbidden: .forbidden
        case .noCard, .unknownReader, .cardRemoved, .ambiguousCard, .cardNotReady, .cardChanged: .noCard
        case .wrongPIN: .wrongPIN
        case .pinBlocked: .pinBlocked
        case .finalAttempt: .finalAttempt
        case .pinFormat, .badRequest, .invalidDigest, .credentialCannotOpen: .badInput
        default: .failure
        }
    }
}

struct CommonOptions: ParsableArguments {
    @Option(help: "jpkid's socket (default $JPKID_SOCKET or /run/jpkid/jpkid.sock).")
    var socket: String?

    @Flag(help: "Print the API's JSON instead of a table.")
    var json = false

    @Option(help: "Reader id (from 'jpkictl status'); default: the one reader holding a card.")
    var reader: String?

    @Option(
        name: .customLong("card-id"),
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
    func pinTarget() throws -> (path: String, cardId: String, label: String) {
        let reader = try decode(ReaderView.self, try call("GET", base))
        guard let card = reader.card, !card.cardId.isEmpty else {
            printError("no_card: there is no card in \(reader.id)")
            throw ExitCode(Exit.noCard.rawValue)
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
    func call(_ method: String, _ path: String, body: (some Encodable)? = Optional<String>.none) throws -> Data {
        let payload = try body.map { try APIJSON.encoder().encode($0) }
        let response: UnixHTTPClient.Response
        do {
            response = try client.send(method, path, json: payload)
        } catch {
            printError("\(error)")
            throw ExitCode(Exit.unreachable.rawValue)
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
            throw ExitCode(Exit.forCode(detail?.code).rawValue)
        }
        return response.body
    }

    func decode<T: Decodable>(_ type: T.Type, _ data: Data) throws -> T {
        do {
            return try APIJSON.decoder().decode(type, from: data)
        } catch {
            printError("unexpected answer from jpkid")
            throw ExitCode(Exit.failure.rawValue)
        }
    }
}

/// An error line on standard error, its text escaped for the terminal (``TerminalText``).
func printError(_ message: String) {
    StandardStream.standardError.write(Data("jpkictl: \(TerminalText.escape(message, keepingNewlines: true))\n".utf8))
}

@main
struct JPKICtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jpkictl",
        abstract: "Talk to jpkid: card status, PINs, signatures, certificates, events, diagnosis.",
        discussion: """
            PINs are read from the terminal without echo, or from standard input when it is not a \
            terminal; never from the command line.
            Exit codes: 0 ok, 1 error, 2 jpkid unreachable, 3 forbidden, 4 no card or unknown \
            reader, 5 wrong PIN, 6 PIN blocked, 7 final attempt not confirmed, 8 bad input, \
            9 (authenticate, verify) not authenticated or not verified, \
            10 (status, diagnose) something needs attention.
            """,
        subcommands: [
            Status.self, Health.self, PINCommand.self, Sign.self, Cert.self, Watch.self, Diagnose.self,
            Authenticate.self, CardTextCommand.self, CardFaceCommand.self, CheckCardCommand.self, AgeCheckCommand.self,
            UI.self,
        ])
}
