import FoundationEssentials
import JPKIAPI

/// One finding about a card, and what the citizen must do about it.
public struct Finding: Sendable, Equatable {
    public enum Severity: String, Sendable, Comparable {
        case info, warning, problem
        public static func < (a: Severity, b: Severity) -> Bool {
            [Severity.info, .warning, .problem].firstIndex(of: a)! < [Severity.info, .warning, .problem].firstIndex(
                of: b)!
        }
    }

    public let severity: Severity
    /// What was found.
    public let summary: String
    /// What to do next, in order.
    public let actions: [String]
}

/// Staff diagnosis at a counter: every PIN, every certificate, and the next steps per the
/// municipal rules (seeds 000–004).
public struct Diagnosis: Sendable {
    public let language: Language

    public init(language: Language) { self.language = language }

    func t(_ ja: String, _ en: String) -> String { language == .japanese ? ja : en }

    public func pinName(_ kind: PINView.Kind) -> String {
        switch kind {
        case .auth: t("利用者証明用電子証明書の暗証番号（数字4桁）", "user authentication PIN (4 digits)")
        case .sign: t("署名用電子証明書の暗証番号（英数字6〜16桁）", "digital signature PIN (6-16 letters and digits)")
        case .cardText: t("券面事項入力補助用の暗証番号（数字4桁）", "card text PIN (4 digits)")
        case .juki:
            t(
                "住民基本台帳用の暗証番号・共通カードアプリ（数字4桁）",
                "resident register (JUKI) PIN, common card application (4 digits)")
        case .jukiAP:
            t("住民基本台帳用の暗証番号・住基アプリ（数字4桁）", "resident register (JUKI) PIN, JUKI application (4 digits)")
        case let kind where kind.isCardDataKey: cardDataPINName(kind)
        default: kind.rawValue
        }
    }

    public func certificateName(_ slot: CertificateView.Slot) -> String {
        switch slot {
        case .auth: t("利用者証明用電子証明書", "user authentication certificate")
        case .sign: t("署名用電子証明書", "digital signature certificate")
        case .authCA: t("利用者証明用の認証局証明書", "user authentication CA certificate")
        case .signCA: t("署名用の認証局証明書", "digital signature CA certificate")
        default: slot.rawValue
        }
    }

    /// How a PIN is reset at the municipal office (reference 9): the card always; the JUKI PIN, or
    /// else an ID document; in person the same day, otherwise by an inquiry letter and two visits.
    private var resetAtOffice: [String] {
        [
            t(
                "回数は時間が経っても元に戻りません。正しい暗証番号の入力か再設定でのみ戻ります。",
                "The count never recovers with time: only a correct entry or a reset restores it."),
            t(
                "お住まいの市区町村の窓口で暗証番号の再設定（初期化）ができます。必ずマイナンバーカードを持参してください。",
                "The PIN can be reset at the municipal office of the citizen's residence. The citizen must bring the My Number card."
            ),
            t(
                "住民基本台帳用暗証番号（数字4桁）が分かれば、それで他の暗証番号を再設定できます。分からない場合は本人確認書類（写真付きならA1点、なければB2点）も必要です。",
                "If the citizen knows the 4-digit JUKI PIN, that is enough to reset the other PINs; otherwise an ID document is needed too (one photo ID, or two without photo)."
            ),
            t(
                "本人が来庁すれば当日に再設定できます。代理人の場合や本人確認書類がない場合は「照会書兼回答書」が本人宅に郵送され、2回の来庁が必要です。",
                "In person it is done the same day. An agent, or a citizen without ID documents, receives an inquiry letter (照会書兼回答書) by mail and must visit twice."
            ),
        ]
    }

    /// The convenience-store reset of a JPKI PIN (reference 9): only with the other JPKI PIN.
    private func storeReset(otherPIN: String) -> String {
        t(
            "\(otherPIN)が分かれば、スマートフォンの「ＪＰＫＩ暗証番号リセット」アプリで手続き（券面の撮影、ＩＣチップの読み取り、顔照合）をした後、24時間以内にコンビニのキオスク端末でも再設定できます。分からない場合は窓口での再設定になります。",
            "If the citizen knows the \(otherPIN), it can also be reset at a convenience-store kiosk terminal: first the 「JPKI暗証番号リセット」 smartphone app (a photo of the card face, the chip read, a face match), then the store terminal within 24 hours. Otherwise only the municipal office can reset it."
        )
    }

    /// Where only the municipal counter helps (reference 9): JUKI, card-text and card-face locks.
    private var counterOnly: String {
        t(
            "このロックはコンビニや「ＪＰＫＩ暗証番号リセット」アプリでは解除できません。市区町村の窓口でのみ再設定できます。",
            "A convenience store or the 「JPKI暗証番号リセット」 app cannot clear this lock: only the municipal counter can reset it."
        )
    }

    public func findings(for card: CardView, now: Date = Date()) -> [Finding] {
        var findings: [Finding] = []
        if !card.kind.isJPKICard {
            findings.append(
                Finding(
                    severity: .problem,
                    summary: t(
                        "公的個人認証のカードではありません（種別: \(cardKindName(card.kind))）。",
                        "This is not a JPKI card (kind: \(card.kind))."),
                    actions: [t("マイナンバーカードをかざし直してください。", "Place a My Number card on the reader.")]))
            return findings
        }
        for kind in PINView.Kind.displayOrder {
            guard let pin = card.pins[kind] else { continue }
            findings += pinFindings(kind, pin)
        }
        findings += jukiPINsFindings(card)
        if card.pins[.sign]?.available == false {
            findings.append(
                Finding(
                    severity: .info,
                    summary: t(
                        "署名用電子証明書は搭載されていません（15歳未満・成年被後見人、または発行を希望しなかった場合）。",
                        "The card carries no digital signature certificate (under 15, an adult ward, or not requested)."
                    ),
                    actions: [
                        t(
                            "必要になったら、15歳以上であれば市区町村の窓口で発行を申請できます。",
                            "From age 15 it can be issued at the municipal office when needed.")
                    ]))
        }
        for slot in CertificateView.Slot.inReaderView {
            guard let certificate = card.certificates[slot] else { continue }
            findings += certificateFindings(slot, certificate)
        }
        findings += trustFindings(for: card)
        return findings
    }

    private func pinFindings(_ kind: PINView.Kind, _ pin: PINView) -> [Finding] {
        let name = pinName(kind)
        guard pin.available else { return [] }
        if pin.blocked {
            var actions = resetAtOffice
            switch kind {
            case .sign:
                actions.insert(storeReset(otherPIN: t("利用者証明用暗証番号（数字4桁）", "4-digit user authentication PIN")), at: 0)
            case .auth:
                actions.insert(
                    storeReset(otherPIN: t("署名用暗証番号（英数字6〜16桁）", "signature PIN (6-16 letters and digits)")), at: 0)
            case .juki, .jukiAP, .cardText:
                actions.insert(counterOnly, at: 0)
            default:
                actions.insert(contentsOf: cardDataPINBlockedActions(kind) + [counterOnly], at: 0)
            }
            return [
                Finding(
                    severity: .problem,
                    summary: t("\(name)がロックされています（\(pin.triesText)）。", "The \(name) is blocked (\(pin.triesText))."),
                    actions: actions)
            ]
        }
        guard let remaining = pin.remaining else { return [] }
        if remaining == 1 {
            return [
                Finding(
                    severity: .warning,
                    summary: t(
                        "\(name)は残り1回です。次に間違えるとロックされます。",
                        "The \(name) has 1 try left; one more wrong entry blocks it."),
                    actions: [
                        t(
                            "暗証番号に自信がなければ入力せず、窓口で再設定してください。",
                            "If the citizen is not sure of the PIN, do not try it: reset it at the office instead."),
                        t(
                            "回数は時間が経っても元に戻りません。",
                            "The count does not recover with time."),
                    ] + resetAtOffice.dropFirst().prefix(1))
            ]
        }
        if let max = pin.max, remaining < max {
            return [
                Finding(
                    severity: .info,
                    summary: t(
                        "\(name)の残り回数は\(remaining)/\(max)です。正しく入力すると元に戻ります（時間が経っても戻りません）。",
                        "The \(name) has \(remaining)/\(max) tries left; a correct entry restores the count (time does not)."
                    ),
                    actions: [])
            ]
        }
        return []
    }

    private func certificateFindings(_ slot: CertificateView.Slot, _ certificate: CertificateView) -> [Finding] {
        let name = certificateName(slot)
        let isCA = slot.isCA
        switch certificate.status {
        case .expired:
            return [
                Finding(
                    severity: isCA ? .warning : .problem,
                    summary: t(
                        "\(name)は有効期限（\(certificate.expiryDate)）が切れています。",
                        "The \(name) expired on \(certificate.expiryDate)."),
                    actions: isCA
                        ? []
                        : [
                            t(
                                "期限切れの電子証明書は使えません。マイナンバーカードの有効期限内であれば、市区町村の窓口で新規発行の手続きができます（予約不要）。",
                                "An expired certificate cannot be used. While the card itself is valid, a new certificate can be issued at the municipal office (no appointment needed)."
                            ),
                            t(
                                "手続きには設定済みの暗証番号の入力が必要です。",
                                "The citizen will need to enter the current PINs there."),
                        ])
            ]
        case .renewable:
            return [
                Finding(
                    severity: .warning,
                    // Citizens never renew CA certificates: no renewal window for them.
                    summary: isCA
                        ? t(
                            "\(name)の有効期限（\(certificate.expiryDate)）まで残り\(certificate.daysUntilExpiry)日です。",
                            "The \(name) expires on \(certificate.expiryDate) (\(certificate.daysUntilExpiry) days left)."
                        )
                        : t(
                            "\(name)は更新期間中です（\(certificate.renewableFrom)から有効期限\(certificate.expiryDate)まで、残り\(certificate.daysUntilExpiry)日）。",
                            "The \(name) can be renewed now (from \(certificate.renewableFrom) until it expires on \(certificate.expiryDate), \(certificate.daysUntilExpiry) days left)."
                        ),
                    actions: isCA
                        ? []
                        : [
                            t(
                                "市区町村の窓口で更新できます。地方公共団体情報システム機構からの「有効期限通知書」がなくても手続きできます。",
                                "Renew at the municipal office; the J-LIS expiry notice letter is not required."),
                            t(
                                "更新時に設定済みの暗証番号を入力します。忘れた場合は先に再設定が必要です。",
                                "The current PINs are needed to renew; a forgotten PIN must be reset first."),
                        ])
            ]
        case .notYetValid:
            return [
                Finding(
                    severity: .warning,
                    summary: t(
                        "\(name)はまだ有効期間が始まっていません。端末の時計を確認してください。",
                        "The \(name) is not valid yet. Check this machine's clock."),
                    actions: [])
            ]
        default:
            return []
        }
    }
}
