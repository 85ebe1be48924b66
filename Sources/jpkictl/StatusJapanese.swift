import FoundationEssentials
import JPKIAPI
import JPKIStaff

extension Status {
    /// `status` under a Japanese locale: the same facts in Japanese words (the staff page's view,
    /// so both say the same), with no English tokens but ids and device names; ★要対応★ marks
    /// what needs attention.
    static func printJapanese(_ readers: [ReaderView]) {
        let diagnosis = Diagnosis(language: .japanese)
        let view = StaffView(ReaderList(readers: readers), diagnosis: diagnosis)
        if let problem = view.problem { print("\(problem.message)\(problem.next)") }
        for (reader, original) in zip(view.readers, readers) {
            print("\(reader.id)（\(reader.name.terminalSafe)）: \(reader.stateLabel)")
            if let problem = reader.problem, reader.state != "empty" {
                print("  \(problem.message)\(problem.next)")
            }
            guard let card = reader.card else { continue }
            let read =
                original.card?.readAt.map { "読み取り \(japanTime($0).replacing(" JST", with: ""))（日本時間）" }
                ?? "未読み取り"
            print("  カード: \(card.kindLabel)  \(read)  カード識別番号 \(card.cardId)")
            for pin in card.pins {
                let remaining = pin.remaining ?? 0
                let spent = pin.max.map { max(0, $0 - remaining) } ?? 0
                let pips: String =
                    pin.available && !pin.blocked
                    ? String(repeating: "●", count: remaining) + String(repeating: "○", count: spent) + " " : ""
                print("  暗証番号 \(pin.name): \(pips)\(pin.stateLabel)\(pin.blocked ? " ★要対応★" : "")")
            }
            for certificate in card.certificates {
                var line =
                    "  証明書 \(certificate.name): 有効期限 \(certificate.expiryDate)（あと\(certificate.daysUntilExpiry)日）"
                if let from = certificate.renewableFrom { line += "、更新できる期間 \(from)〜" }
                line += "、\(certificate.statusLabel)"
                if let trust = certificate.trustLabel { line += "、発行元: \(trust)" }
                if certificate.status == .expired || Diagnosis.isUntrusted(certificate.trust) {
                    line += " ★要対応★"
                }
                print(line)
            }
        }
    }
}
