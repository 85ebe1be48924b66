import ArgumentParser
import FoundationEssentials
import JPKIAPI
import JPKIStaff

struct Diagnose: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "For staff at a counter: every PIN and certificate, and what the citizen must do next.",
        discussion: "Japanese when the locale (LC_ALL, LC_MESSAGES, LANG) is Japanese, English otherwise.")
    @OptionGroup var options: CommonOptions

    func run() async throws {
        let data = try await options.call("GET", "\(options.base)?refresh=true")
        let reader = try options.decode(ReaderView.self, data)
        let diagnosis = Diagnosis(language: .fromEnvironment())
        guard let card = reader.card else {
            printError("no card in \(reader.id)")
            throw Exit.noCard.code
        }
        let findings = diagnosis.readerFindings(for: reader) + diagnosis.findings(for: card)
        if options.json {
            struct Item: Encodable {
                var severity: String
                var summary: String
                var actions: [String]
            }
            let items = findings.map { Item(severity: $0.severity.rawValue, summary: $0.summary, actions: $0.actions) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            StandardStream.standardOutput.writeJSON(try encoder.encode(items))
            print()
        } else {
            let ja = diagnosis.language == .japanese
            let kindName = diagnosis.cardKindName(card.kind)
            print(
                ja
                    ? "カード: \(kindName)（\(reader.name.terminalSafe)）"
                    : "Card: \(kindName)  (\(reader.name.terminalSafe))")
            for kind in PINView.Kind.displayOrder {
                guard let pin = card.pins[kind] else { continue }
                let state =
                    !pin.available
                    ? (ja ? "未設定" : "not set")
                    : pin.blocked ? (ja ? "ロック" : "BLOCKED") : pin.triesText
                print("  \(diagnosis.pinName(kind)): \(state)")
            }
            for slot in CertificateView.Slot.inReaderView {
                guard let cert = card.certificates[slot] else { continue }
                // CA certificates get no renewal date: citizens never renew them.
                let status = diagnosis.certificateStatusName(cert.status)
                let window =
                    slot.isCA
                    ? "" : ja ? "（更新可能 \(cert.renewableFrom)〜）" : " (renewable from \(cert.renewableFrom))"
                print(
                    ja
                        ? "  \(diagnosis.certificateName(slot)): 有効期限 \(cert.expiryDate)\(window) \(status)"
                        : "  \(diagnosis.certificateName(slot)): expires \(cert.expiryDate)\(window) \(status)")
            }
            print()
            if findings.isEmpty {
                print(ja ? "問題は見つかりませんでした。" : "No problems found.")
            }
            for finding in findings.sorted(by: { $0.severity > $1.severity }) {
                let mark = finding.severity == .problem ? "✖" : finding.severity == .warning ? "!" : "·"
                print("\(mark) \(finding.summary)")
                for action in finding.actions { print("    → \(action)") }
            }
        }
        if findings.contains(where: { $0.severity == .problem }) { throw Exit.attentionNeeded.code }
    }
}
