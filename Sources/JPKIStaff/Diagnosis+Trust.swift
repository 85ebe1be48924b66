import JPKIAPI

extension Diagnosis {
    /// Whether a certificate's trust code means the card needs attention
    /// (``CertificateView/Trust/isUntrusted``; expiry has its own findings).
    public static func isUntrusted(_ code: CertificateView.Trust?) -> Bool { code?.isUntrusted ?? false }

    /// Said once per card when jpkid has no trust anchors configured.
    public var trustNotChecked: String { language.trustNotChecked }

    /// What an untrusted code means, for status and diagnose; nil for every other code.
    public func trustProblem(_ code: CertificateView.Trust?) -> String? {
        switch code {
        case .untrustedIssuer?:
            t("この証明書は信頼できる認証局から発行されていません", "this certificate was not issued by a trusted CA")
        case .wrongKeyUsage?:
            t("この証明書の鍵用途が格納場所と合っていません", "this certificate's key usage does not fit its slot")
        case .badSignature?:
            t("この証明書の署名を検証できません", "this certificate's signature does not verify")
        default:
            nil
        }
    }

    func trustFindings(for card: CardView) -> [Finding] {
        var findings: [Finding] = []
        for slot in CertificateView.Slot.inReaderView {
            guard let certificate = card.certificates[slot], let problem = trustProblem(certificate.trust) else {
                continue
            }
            findings.append(
                Finding(
                    severity: .problem,
                    summary: t(
                        "\(certificateName(slot)): \(problem)。",
                        "The \(certificateName(slot)): \(problem) (\(certificate.trust?.rawValue ?? ""))."),
                    actions: [
                        t(
                            "このカードを本人確認に使わないでください。正規のマイナンバーカードか、地方公共団体情報システム機構に確認してください。",
                            "Do not use this card to identify the citizen. Check that it is a genuine My Number card, or ask J-LIS."
                        )
                    ]))
        }
        if card.certificates.values.contains(where: { $0.trust == .notChecked }) {
            findings.append(Finding(severity: .info, summary: trustNotChecked, actions: []))
        }
        return findings
    }
}
