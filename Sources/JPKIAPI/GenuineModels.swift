/// `POST /v1/readers/{id}/card-face/check`: the IC-chip check (reference 13). Its body is
/// `POST .../card-face`'s (``CardFaceRequest``: exactly one of `pinA`, `pinB` and 照合番号B's
/// three parts, `cardId`, `confirmFinalAttempt`) with two more fields, `photo` and
/// `renderedMyNumber`, side by side in one JSON object.
public struct CardFaceCheckRequest: CardBoundRequest {
    /// The credential and the insertion, as the card-face read takes them.
    public var cardFace: CardFaceRequest
    /// Return the face photo (JPEG 2000, base64); default false.
    public var photo: Bool?
    /// Check and return the rendered my number (EF 0005, PNG); needs `pinA`.
    public var renderedMyNumber: Bool?

    /// The fields beside ``CardFaceRequest``'s.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case photo, renderedMyNumber
    }

    /// The card-face read's fields and the check's own, side by side in one object.
    public static var fields: Set<String> { CardFaceRequest.fields.union(CodingKeys.allCases.map(\.stringValue)) }

    /// ``CardFaceRequest/cardId``.
    public var cardId: String? {
        get { cardFace.cardId }
        set { cardFace.cardId = newValue }
    }

    /// ``CardFaceRequest/confirmFinalAttempt``.
    public var confirmFinalAttempt: Bool? {
        get { cardFace.confirmFinalAttempt }
        set { cardFace.confirmFinalAttempt = newValue }
    }

    public init(
        pinA: String? = nil, pinB: String? = nil, birthDate: String? = nil, expiryYear: Int? = nil,
        securityCode: String? = nil, cardId: String? = nil, confirmFinalAttempt: Bool? = nil, photo: Bool? = nil,
        renderedMyNumber: Bool? = nil
    ) {
        cardFace = CardFaceRequest(
            pinA: pinA, pinB: pinB, birthDate: birthDate, expiryYear: expiryYear, securityCode: securityCode,
            cardId: cardId, confirmFinalAttempt: confirmFinalAttempt)
        self.photo = photo
        self.renderedMyNumber = renderedMyNumber
    }

    public init(from decoder: any Decoder) throws {
        cardFace = try CardFaceRequest(from: decoder)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        photo = try container.decodeIfPresent(Bool.self, forKey: .photo)
        renderedMyNumber = try container.decodeIfPresent(Bool.self, forKey: .renderedMyNumber)
    }

    public func encode(to encoder: any Encoder) throws {
        try cardFace.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(photo, forKey: .photo)
        try container.encodeIfPresent(renderedMyNumber, forKey: .renderedMyNumber)
    }
}

/// One step of a check and how it ended.
public struct GenuineStepView: Codable, Sendable, Equatable {
    /// `card-face-cvc`, `card-face-signature`, `rendered-my-number`, `age-record`, `card-face-challenge`.
    public var step: String
    /// `passed`, `failed`, `unknown_issuer`, `not_checked` or `not_applicable`.
    public var result: String
    public var detail: String

    public init(step: String, result: String, detail: String) {
        self.step = step
        self.result = result
        self.detail = detail
    }
}

/// What a card-face check found. Personal data: `no-store`, never logged.
public struct CardFaceCheckResponse: Codable, Sendable, Equatable {
    /// `genuine`, `forged`, `key_mismatch`, `unknown_issuer` or `not_checked`.
    public var verdict: String
    /// Why the verdict is not `genuine`.
    public var reason: String?
    public var steps: [GenuineStepView]
    /// The card-face CVC's issuer key id (`5000023/001`).
    public var issuer: String?
    /// What staff do now, in English and Japanese.
    public var nextSteps: NextSteps
    /// What staff compare with the card in their hand; images base64; the photo only when asked.
    public var face: CheckedFace?
    /// The rendered my number (PNG, base64), only when asked with `pinA`.
    public var renderedMyNumber: String?
    /// The counters of the card-face keys (`card-face-birth-date`, `card-face-b`, `card-face-a`)
    /// after the check: a wrong code costs a try of one of them.
    public var pins: [PINView.Kind: PINView]?

    public init(
        verdict: String, reason: String?, steps: [GenuineStepView], issuer: String?, nextSteps: NextSteps,
        face: CheckedFace?, renderedMyNumber: String?, pins: [PINView.Kind: PINView]? = nil
    ) {
        self.pins = pins
        self.verdict = verdict
        self.reason = reason
        self.steps = steps
        self.issuer = issuer
        self.nextSteps = nextSteps
        self.face = face
        self.renderedMyNumber = renderedMyNumber
    }
}

/// Next steps for staff in both languages.
public struct NextSteps: Codable, Sendable, Equatable {
    public var en: String
    public var ja: String
    public init(en: String, ja: String) {
        self.en = en
        self.ja = ja
    }

    /// The guidance for a verdict (`genuine`, `forged`, …), given the steps that led to it:
    /// a chip that refused only the challenge, after its CVC and signed data verified, is not told
    /// "try again" (a copy of the files behaves exactly so); a genuine card text says what it does
    /// not prove (`cardText`).
    public static func forVerdict(_ verdict: String, steps: [GenuineStepView] = [], cardText: Bool = false)
        -> NextSteps
    {
        let challenges: Set<String> = ["card-face-challenge", "card-text-challenge"]
        if verdict == "not_checked",
            steps.contains(where: { challenges.contains($0.step) && $0.result == "not_checked" }),
            steps.allSatisfy({
                challenges.contains($0.step) || $0.result == "passed" || $0.result == "not_applicable"
            })
        {
            return NextSteps(
                en:
                    "The certificate and the signed data verify, but the chip did not prove it is present (it refused the challenge): do not accept it as IC-verified. A copy of the chip's files behaves exactly like this; confirm identity another way.",
                ja:
                    "証明書と署名付きデータは検証できましたが、ＩＣチップは自分が本物であることを証明しませんでした（チャレンジを拒否）。ＩＣチップ確認済みとして受け付けないでください。ファイルを複製したカードも同じ応答をします。別の方法で本人確認してください。"
            )
        }
        if verdict == "genuine", cardText {
            return NextSteps(
                en:
                    "The card-text data is signed by J-LIS and a J-LIS-certified chip answered the challenge. This does not prove that this data belongs to this chip (the data and the chip's key are signed separately): use the card-face check to confirm identity.",
                ja:
                    "券面事項入力補助のデータはＪ－ＬＩＳの署名付きで、Ｊ－ＬＩＳが認証したＩＣチップが応答しました。ただし、このデータがこのチップのものであることまでは証明しません（データとチップの鍵は別々に署名されています）。本人確認には券面確認のチェックを使ってください。"
            )
        }
        return switch verdict {
        case "genuine":
            NextSteps(
                en:
                    "The IC chip is genuine. Compare the photo, name, address, birth date and expiry with the card and the person in front of you.",
                ja: "ＩＣチップは真正です。顔写真・氏名・住所・生年月日・有効期限を、券面とご本人と照合してください。")
        case "forged":
            NextSteps(
                en:
                    "Do not accept this card as identity: its chip data does not verify. Keep the card in view and call the issuing municipality.",
                ja: "このカードを本人確認書類として受け付けないでください（ＩＣチップのデータが検証できません）。カードを手元に置いたまま、交付した市区町村に連絡してください。")
        case "key_mismatch":
            NextSteps(
                en:
                    "Do not accept this card as identity. Its certificate does not verify under the J-LIS key it names: a forged card, or a wrong key table. If every card shows this, report it to the jpkid administrator.",
                ja: "このカードを本人確認書類として受け付けないでください。証明書が名乗るＪ－ＬＩＳの鍵で検証できません（偽造カード、または鍵の設定誤り）。すべてのカードでこうなる場合は、管理者に報告してください。")
        case "unknown_issuer":
            NextSteps(
                en:
                    "The chip names a CA key jpkid does not know (a new CA generation or a test card). Do not treat the card as checked; confirm identity another way and report it to the administrator.",
                ja: "ＩＣチップが未知の認証局（ＣＡ）の鍵を名乗っています（新しい世代の鍵、またはテスト用カード）。確認済みとして扱わず、別の方法で本人確認し、管理者に報告してください。")
        default:
            NextSteps(
                en:
                    "The chip could not be fully checked (see the reason). Try again once; if it persists, confirm identity another way.",
                ja: "ＩＣチップを確認しきれませんでした（理由を参照）。もう一度お試しください。続く場合は別の方法で本人確認してください。")
        }
    }
}

/// `POST /v1/readers/{id}/age-check`: is the holder at least `minimumAge` on `date`?
public struct AgeCheckRequest: CardBoundRequest {
    /// The birth date the customer states: `YYYY-MM-DD` (Gregorian; jpkid writes the era digits
    /// the card's birth-date key takes), or those 6 era digits `YYMMDD`.
    public var birthDate: String
    public var minimumAge: Int
    /// `YYYY-MM-DD`; default today in Japan.
    public var date: String?
    /// Return the signed birth date; default false.
    public var returnBirthDate: Bool?
    public var cardId: String?
    public var confirmFinalAttempt: Bool?

    /// The body's fields: the API accepts these and no other.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case birthDate, minimumAge, date, returnBirthDate, cardId, confirmFinalAttempt
    }

    public init(
        birthDate: String, minimumAge: Int, date: String? = nil, returnBirthDate: Bool? = nil,
        cardId: String? = nil, confirmFinalAttempt: Bool? = nil
    ) {
        self.birthDate = birthDate
        self.minimumAge = minimumAge
        self.date = date
        self.returnBirthDate = returnBirthDate
        self.cardId = cardId
        self.confirmFinalAttempt = confirmFinalAttempt
    }
}

/// What an age check found.
public struct AgeCheckResponse: Codable, Sendable, Equatable {
    public var verdict: String
    public var reason: String?
    public var steps: [GenuineStepView]
    public var minimumAge: Int
    public var date: String
    /// True or false only when the verdict is `genuine`; otherwise null.
    public var atLeastMinimumAge: Bool?
    /// `YYYY-MM-DD`, only when asked.
    public var birthDate: String?
    public var nextSteps: NextSteps
    /// The counters of the card-face keys after the check.
    public var pins: [PINView.Kind: PINView]?

    public init(
        verdict: String, reason: String?, steps: [GenuineStepView], minimumAge: Int, date: String,
        atLeastMinimumAge: Bool?, birthDate: String?, nextSteps: NextSteps, pins: [PINView.Kind: PINView]? = nil
    ) {
        self.pins = pins
        self.verdict = verdict
        self.reason = reason
        self.steps = steps
        self.minimumAge = minimumAge
        self.date = date
        self.atLeastMinimumAge = atLeastMinimumAge
        self.birthDate = birthDate
        self.nextSteps = nextSteps
    }
}

/// The card face beside a verdict: `POST .../card-face`'s answer, the photo only when asked.
public typealias CheckedFace = CardFaceResponse

/// `POST /v1/readers/{id}/card-text/check`: the card text (as `POST …/card-text` answers it) and the
/// verdict that covers exactly the data returned. Personal data: `no-store`, never logged.
public struct CardTextCheckResponse: Codable, Sendable, Equatable {
    public var text: CardTextResponse
    public var verdict: String
    public var reason: String?
    public var steps: [GenuineStepView]
    public var issuer: String?
    public var nextSteps: NextSteps

    public init(
        text: CardTextResponse, verdict: String, reason: String?, steps: [GenuineStepView], issuer: String?,
        nextSteps: NextSteps
    ) {
        self.text = text
        self.verdict = verdict
        self.reason = reason
        self.steps = steps
        self.issuer = issuer
        self.nextSteps = nextSteps
    }
}
