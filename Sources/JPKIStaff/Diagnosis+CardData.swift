/// Names and guidance for PIN A and PIN B of the card-text and card-face APs (reference 5a, 5c).
extension Diagnosis {
    func cardDataPINName(_ kind: String) -> String {
        let ja = language == .japanese
        switch kind {
        case "card-text-a":
            return ja ? "券面事項入力補助の暗証番号A（マイナンバー12桁）" : "card text PIN A (the 12-digit my number)"
        case "card-text-b":
            return ja
                ? "券面事項入力補助の暗証番号B（生年月日6桁＋有効期限の西暦4桁＋セキュリティコード4桁）"
                : "card text PIN B (birth date YYMMDD + expiry year + 4-digit security code)"
        case "card-face-a":
            return ja ? "券面事項確認の暗証番号A（マイナンバー12桁）" : "card face PIN A (the 12-digit my number)"
        case "card-face-b":
            return ja
                ? "券面事項確認の暗証番号B（生年月日6桁＋有効期限の西暦4桁＋セキュリティコード4桁）"
                : "card face PIN B (birth date YYMMDD + expiry year + 4-digit security code)"
        default:
            return kind
        }
    }

    /// What to tell a citizen first when PIN A or PIN B is blocked; the office steps follow.
    func cardDataPINBlockedActions(_ kind: String) -> [String] {
        let ja = language == .japanese
        switch kind {
        case "card-face-b", "card-text-b":
            return [
                ja
                    ? "これは4つの暗証番号とは別のロックです。銀行やスマートフォンのアプリが本人確認で使う暗証番号B（生年月日・有効期限の西暦・券面のセキュリティコード）で、セキュリティコードの欄に暗証番号を入力するとロックされます。"
                    : "This is not one of the four PINs. Banking and smartphone apps check identity with PIN B (birth date, expiry year and the security code printed on the card); typing a PIN where the security code belongs locks it.",
                ja
                    ? "利用者証明用・署名用の電子証明書はこのロックの影響を受けません。"
                    : "The authentication and signature certificates are not affected by this lock.",
            ]
        case "card-face-a", "card-text-a":
            return [
                ja
                    ? "これは4つの暗証番号とは別のロックです。暗証番号Aはマイナンバー（12桁）です。"
                    : "This is not one of the four PINs. PIN A is the 12-digit my number."
            ]
        default:
            return []
        }
    }
}
