import JPKIAPI

/// Names and guidance for the card-data keys of the card-text and card-face APs (reference 5a, 5c)
/// and for the two JUKI PINs (reference 1).
extension Diagnosis {
    func cardDataPINName(_ kind: PINView.Kind) -> String {
        switch kind {
        case .cardTextPINA:
            t("券面事項入力補助の照合番号A（マイナンバー12桁）", "card text PIN A (the 12-digit my number)")
        case .cardTextPINB:
            t(
                "券面事項入力補助の照合番号B（和暦の生年月日6桁＋有効期限の西暦4桁＋セキュリティコード4桁）",
                "card text PIN B (birth date YYMMDD with the Japanese era year + expiry year + 4-digit security code)")
        case .cardFaceBirthDate:
            t("券面事項確認の生年月日（和暦の年月日6桁）", "card face birth-date key (birth date YYMMDD with the Japanese era year)")
        case .cardFacePINA:
            t("券面事項確認の照合番号A（マイナンバー12桁）", "card face PIN A (the 12-digit my number)")
        case .cardFacePINB:
            t(
                "券面事項確認の照合番号B（和暦の生年月日6桁＋有効期限の西暦4桁＋セキュリティコード4桁）",
                "card face PIN B (birth date YYMMDD with the Japanese era year + expiry year + 4-digit security code)")
        default:
            kind.rawValue
        }
    }

    /// What to tell a citizen first when a card-data key is blocked; the counter steps follow.
    func cardDataPINBlockedActions(_ kind: PINView.Kind) -> [String] {
        switch kind {
        case .cardFacePINB, .cardTextPINB:
            [
                t(
                    "これは本人が決めた暗証番号ではありません。銀行やスマートフォンの本人確認（eKYC）アプリが「生年月日・有効期限の年・セキュリティコード」として求める照合番号Bで、ロックの原因はほとんどがこうしたアプリです（セキュリティコードの欄に暗証番号を入力した、生年月日を西暦で入力した、など）。",
                    "This is not a PIN the citizen chose. It is 照合番号B, which bank and eKYC smartphone apps ask for as \"birth date, expiry year, security code\"; such an app is the usual cause of this lock (a PIN typed where the security code belongs, or the birth date typed in the Western calendar instead of the Japanese era)."
                ),
                t(
                    "利用者証明用・署名用の電子証明書はこのロックの影響を受けません。",
                    "The authentication and signature certificates are not affected by this lock."),
            ]
        case .cardFacePINA, .cardTextPINA:
            [
                t(
                    "これは本人が決めた暗証番号ではありません。照合番号Aはマイナンバー（12桁）です。",
                    "This is not a PIN the citizen chose. PIN A is the 12-digit my number.")
            ]
        case .cardFaceBirthDate:
            [
                t(
                    "これは本人が決めた暗証番号ではありません。生年月日を和暦の年で入力するものです（例: 1980年2月17日は昭和55年なので550217）。西暦で入力すると誤りになります。",
                    "This is not a PIN the citizen chose. It takes the birth date with the Japanese era year (1980-02-17 is Showa 55: 550217); the Western year is wrong."
                )
            ]
        default:
            []
        }
    }

    /// The two JUKI PINs (common card AP and JUKI AP) with different counters: what it means.
    func jukiPINsFindings(_ card: CardView) -> [Finding] {
        guard let common = card.pins[.juki], let juki = card.pins[.jukiAP], common.available, juki.available,
            common.remaining != juki.remaining || common.blocked != juki.blocked
        else { return [] }
        let commonState = pinStateName(common)
        let jukiState = pinStateName(juki)
        let oneBlocked = common.blocked || juki.blocked
        return [
            Finding(
                severity: oneBlocked ? .problem : .warning,
                summary: t(
                    "住民基本台帳用の暗証番号はカードの中で2つ（共通カードアプリと住基アプリ）に分かれていて、残り回数が違います（共通カードアプリ: \(commonState)、住基アプリ: \(jukiState)）。",
                    "The JUKI PIN is held twice on the card, in the common card application and in the JUKI application, and their counters differ (common card application: \(commonState); JUKI application: \(jukiState))."
                ),
                actions: [
                    t(
                        "本人にとっては同じ4桁の暗証番号ですが、間違えた入力が片方でだけ数えられています。手続きによって照合される方が違うため、片方が使えても、もう片方で止まることがあります。",
                        "For the citizen this is one 4-digit PIN, but wrong entries were counted in only one of the two. Different procedures check different ones, so it can work in one and fail in the other."
                    ),
                    oneBlocked
                        ? t(
                            "ロックされた方は市区町村の窓口でのみ再設定できます。窓口で両方がそろうように再設定してください。",
                            "The blocked one can only be reset at the municipal counter; reset it there so that both agree again."
                        )
                        : t(
                            "正しい暗証番号を入力すると、入力した方の回数だけが元に戻ります。試しに入力して確かめることはしないでください。",
                            "A correct entry restores only the counter it was entered against. Do not try PINs to find out which is which."
                        ),
                ])
        ]
    }
}
