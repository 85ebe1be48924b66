import ArgumentParser
import FoundationEssentials
import JPKIAPI
import JPKIStaff

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Readers, cards, PIN tries and certificate expiry. Exit 10 when a PIN is blocked or a certificate expired.")
    @OptionGroup var options: CommonOptions
    @Flag(help: "Read the card again instead of using the daemon's cache.")
    var refresh = false

    func run() async throws {
        let readers: [ReaderView]
        if let id = options.reader {
            let data = try await options.call("GET", "/v1/readers/\(id)\(refresh ? "?refresh=true" : "")")
            if options.json { return StandardStream.standardOutput.writeJSON(data) }
            readers = [try options.decode(ReaderView.self, data)]
        } else {
            var data = try await options.call("GET", "/v1/readers")
            var list = try options.decode(ReaderList.self, data).readers
            if refresh {
                // Read again every card that is there.
                for (index, reader) in list.enumerated() where reader.card != nil {
                    list[index] = try options.decode(
                        ReaderView.self, await options.call("GET", "/v1/readers/\(reader.id)?refresh=true"))
                }
                data = try APIJSON.encoder().encode(ReaderList(readers: list))
            }
            if options.json { return StandardStream.standardOutput.writeJSON(data) }
            readers = list
        }
        if Language.fromEnvironment() == .japanese {
            Self.printJapanese(readers)
        } else {
            Self.printEnglish(readers)
        }
        if Self.needsAttention(readers) { throw Exit.attentionNeeded.code }
    }

    /// Whether a card needs attention: a blocked PIN, an expired or untrusted certificate. The
    /// exit code's one rule, whatever the language of the table.
    static func needsAttention(_ readers: [ReaderView]) -> Bool {
        readers.compactMap(\.card).contains { card in
            card.pins.values.contains(where: \.blocked)
                || card.certificates.values.contains { $0.status == .expired || Diagnosis.isUntrusted($0.trust) }
        }
    }

    static func printEnglish(_ readers: [ReaderView]) {
        if readers.isEmpty { print("No readers. (Is a reader plugged in? See README troubleshooting.)") }
        let diagnosis = Diagnosis(language: .english)
        for reader in readers {
            print("\(reader.id)  \(reader.name.terminalSafe)  [\(reader.state.rawValue)]")
            if let error = reader.error {
                print("  error: \(error.code.rawValue.terminalSafe): \(error.message.terminalSafe)")
            }
            guard let card = reader.card else { continue }
            let read = card.readAt.map { "read \(japanTime($0))" } ?? "not read yet"
            print(
                "  card: \(card.kind)\(card.tokenLabel.map { " (\($0.terminalSafe))" } ?? "")  \(read)  id \(card.cardId)"
            )
            for kind in PINView.Kind.displayOrder {
                guard let pin = card.pins[kind] else { continue }
                let flag =
                    !pin.available
                    ? "  not set" : pin.blocked ? "  ** BLOCKED **" : pin.remaining == 1 ? "  ! last try" : ""
                print("  PIN \(kind.rawValue.padded(to: 11)) \(pin.triesText)\(flag)\(PINView.applicationNote(kind))")
            }
            for slot in CertificateView.Slot.inReaderView {
                guard let cert = card.certificates[slot] else { continue }
                let flag =
                    switch cert.status {
                    case .expired: "  ** EXPIRED **"
                    case .renewable: "  ! renewable since \(cert.renewableFrom)"
                    case .notYetValid: "  ! not yet valid"
                    default: ""
                    }
                // Citizens never renew CA certificates: no renewal date for them.
                let window = slot.isCA ? "" : ", renewable from \(cert.renewableFrom)"
                print(
                    "  cert \(slot.rawValue.padded(to: 8)) expires \(cert.expiryDate) "
                        + "(\(cert.daysUntilExpiry) days)\(window)\(flag)")
                if let problem = diagnosis.trustProblem(cert.trust) {
                    print("    ** \(problem) (\(cert.trust?.rawValue ?? "")) **")
                }
            }
            // Said once per card: no trust anchors configured is not an error.
            if card.certificates.values.contains(where: { $0.trust == .notChecked }) {
                print("  \(diagnosis.trustNotChecked)")
            }
        }
    }
}
