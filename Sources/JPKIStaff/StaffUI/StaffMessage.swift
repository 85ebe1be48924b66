import ErrorCodes

/// A message for counter staff: what happened and what to do next, in their language.
public struct StaffMessage: Codable, Sendable, Equatable {
    /// The API's error code, or the ui server's own (`jpkid_unreachable`, `no_reader`, ...).
    public var code: String
    public var message: String
    public var next: String

    public init(code: String, message: String, next: String) {
        self.code = code
        self.message = message
        self.next = next
    }
}

/// What the staff page shows that is not an error of the API.
public enum StaffOutcome: String, Sendable {
    /// jpkid answers but sees no reader.
    case noReader = "no_reader"
    /// The PIN was right.
    case verified
}

extension Diagnosis {
    /// The page's own outcomes as a sentence and the next step.
    public func staffMessage(_ outcome: StaffOutcome) -> StaffMessage {
        func m(_ ja: String, _ en: String, _ nextJa: String, _ nextEn: String) -> StaffMessage {
            StaffMessage(code: outcome.rawValue, message: t(ja, en), next: t(nextJa, nextEn))
        }
        switch outcome {
        case .noReader:
            return m(
                "カードリーダーが見つかりません。", "No card reader is connected.",
                "カードリーダーのUSBケーブルを接続し直してください。", "Plug the card reader's USB cable in again.")
        case .verified:
            return m(
                "暗証番号は正しく入力されました。", "The PIN is correct.",
                "残り回数は元に戻りました。", "The tries left are back to the maximum.")
        }
    }

    /// Errors people understand: each code as a sentence and the next step.
    public func staffMessage(_ code: ErrorCode, remaining: Int? = nil) -> StaffMessage {
        func m(_ ja: String, _ en: String, _ nextJa: String, _ nextEn: String) -> StaffMessage {
            StaffMessage(code: code.rawValue, message: t(ja, en), next: t(nextJa, nextEn))
        }
        switch code {
        case .jpkidUnreachable:
            return m(
                "カード読み取りサービスに接続できません。", "Cannot reach the card service (jpkid).",
                "端末の管理者に連絡してください（管理者向け: systemctl status jpkid）。この画面は接続が戻ると自動で更新されます。",
                "Ask the administrator of this machine (systemctl status jpkid). This page updates by itself once it is back."
            )
        case .noCard:
            return m(
                "リーダーにカードがありません。", "There is no card on the reader.",
                "マイナンバーカードをリーダーに置いてください。", "Place the My Number card on the reader.")
        case .unsupportedCard:
            return m(
                "このカードには対応していません（マイナンバーカードではありません）。", "This card is not supported (not a My Number card).",
                "マイナンバーカードを置き直してください。", "Place a My Number card on the reader instead.")
        case .cardRemoved:
            return m(
                "読み取り中にカードがリーダーから離れました。", "The card left the reader while it was being read.",
                "カードをリーダーの中央に置き直し、読み取りが終わるまで動かさないでください。",
                "Place the card in the middle of the reader again and keep it still until it has been read.")
        case .cardChanged:
            return m(
                "カードが入れ替わりました。暗証番号は送っていません。", "The card was changed; the PIN was not sent.",
                "画面の表示が今のカードになっていることを確認してから、やり直してください。",
                "Check that the page shows the card now on the reader, then try again.")
        case .cardBusy, .cardNotReady:
            return m(
                "カードが応答しないか、まだ読み取り中です。", "The card is busy or still being read.",
                "少し待ってからやり直してください。続く場合はカードを置き直してください。",
                "Wait a moment and try again; if it persists, place the card again.")
        case .forbidden:
            return m(
                "この利用者にはこの操作の権限がありません。", "This user may not do this.",
                "端末の管理者に、jpkid の操作用グループへの追加を依頼してください。",
                "Ask the administrator to add this user to jpkid's operator group.")
        case .wrongPIN:
            let left = remaining ?? 0
            return m(
                "暗証番号が違います。残り\(left)回です。", "Wrong PIN. \(left) tries left.",
                left == 1
                    ? "次に間違えるとロックされます。自信がなければ入力せず、窓口で再設定してください。"
                    : "本人に確認してからもう一度入力してください。",
                left == 1
                    ? "One more wrong entry blocks it. If unsure, do not try again: reset it at the counter."
                    : "Check with the citizen, then try again.")
        case .pinBlocked:
            return m(
                "この暗証番号はロックされています。", "This PIN is blocked.",
                "市区町村の窓口で暗証番号の再設定（初期化）が必要です。", "It must be reset at the municipal office.")
        case .finalAttempt:
            return m(
                "残り1回です。間違えるとロックされます。", "One try left: a wrong PIN blocks it.",
                "本人が確実に覚えている場合だけ、確認のうえ入力してください。",
                "Only go on if the citizen is certain of the PIN, and confirm.")
        case .pinFormat:
            return m(
                "暗証番号の形式が違います（桁数または文字の種類）。試行回数は減っていません。",
                "The PIN has the wrong format (length or characters). No try was spent.",
                "暗証番号の桁数と文字を確認してください。", "Check the PIN's length and characters.")
        default:
            return m(
                "処理できませんでした（\(code)）。", "Something went wrong (\(code)).",
                "カードを置き直してからやり直してください。続く場合は管理者に連絡してください。",
                "Place the card again and retry; if it persists, ask the administrator.")
        }
    }
}
