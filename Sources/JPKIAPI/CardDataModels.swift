import FoundationEssentials

/// `POST .../card-text`: exactly one credential, and what it opens (reference 5a):
/// - `pin`, the card-text PIN (4 digits): every field;
/// - `pinA`, the 12-digit my number (照合番号A): only `myNumber`;
/// - `pinB` (照合番号B, 14 digits with the birth date's **Japanese era** year), or its parts
///   `birthDate` (`YYYY-MM-DD`, Gregorian), `expiryYear` and `securityCode`: only `name`,
///   `address`, `birthDate`, `sex`.
///
/// `fields` is a subset of `myNumber`, `name`, `address`, `birthDate`, `sex`; absent means all but
/// `myNumber`, which is read only when named. Fields the credential cannot open answer
/// `credential_cannot_open` before anything reaches the card.
public struct CardTextRequest: CardBoundRequest {
    public var pin: String?
    public var pinA: String?
    public var pinB: String?
    public var birthDate: String?
    public var expiryYear: Int?
    public var securityCode: String?
    public var cardId: String?
    public var confirmFinalAttempt: Bool?
    public var fields: [String]?

    /// The body's fields: the API accepts these and no other.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case pin, pinA, pinB, birthDate, expiryYear, securityCode, cardId, confirmFinalAttempt, fields
    }

    public init(
        pin: String? = nil, pinA: String? = nil, pinB: String? = nil, birthDate: String? = nil,
        expiryYear: Int? = nil, securityCode: String? = nil, cardId: String? = nil, confirmFinalAttempt: Bool? = nil,
        fields: [String]? = nil
    ) {
        self.pin = pin
        self.pinA = pinA
        self.pinB = pinB
        self.birthDate = birthDate
        self.expiryYear = expiryYear
        self.securityCode = securityCode
        self.cardId = cardId
        self.confirmFinalAttempt = confirmFinalAttempt
        self.fields = fields
    }
}

/// The card-text AP's data. Personal data: served with `Cache-Control: no-store`, never logged.
public struct CardTextResponse: Codable, Sendable, Equatable {
    /// The 12 digits; present only when asked for by name.
    public var myNumber: String?
    public var name: String?
    public var address: String?
    /// `YYYY-MM-DD`.
    public var birthDate: String?
    public var sex: SexView?

    public init(
        myNumber: String? = nil, name: String? = nil, address: String? = nil, birthDate: String? = nil,
        sex: SexView? = nil
    ) {
        self.myNumber = myNumber
        self.name = name
        self.address = address
        self.birthDate = birthDate
        self.sex = sex
    }
}

/// Sex as the card codes it: `code` `1`, `2`, `9` (ISO 5218) and its `name`.
public struct SexView: Codable, Sendable, Equatable {
    public var code: String
    /// `male`, `female`, `not_applicable`, `not_known` or `other`.
    public var name: String
    public init(code: String, name: String) {
        self.code = code
        self.name = name
    }
}

/// `POST .../card-face`: exactly one credential: `pinA` (照合番号A, the my number), `pinB`
/// (照合番号B: 14 digits, the birth date `YYMMDD` with its **Japanese era** year, the expiry year
/// `YYYY`, the security code), or 照合番号B's parts `birthDate` (`YYYY-MM-DD`, Gregorian: jpkid
/// writes the era year), `expiryYear` and `securityCode`.
public struct CardFaceRequest: CardBoundRequest {
    public var pinA: String?
    public var pinB: String?
    public var birthDate: String?
    public var expiryYear: Int?
    public var securityCode: String?
    public var cardId: String?
    public var confirmFinalAttempt: Bool?

    /// The body's fields: the API accepts these and no other.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case pinA, pinB, birthDate, expiryYear, securityCode, cardId, confirmFinalAttempt
    }

    public init(
        pinA: String? = nil, pinB: String? = nil, birthDate: String? = nil, expiryYear: Int? = nil,
        securityCode: String? = nil, cardId: String? = nil, confirmFinalAttempt: Bool? = nil
    ) {
        self.pinA = pinA
        self.pinB = pinB
        self.birthDate = birthDate
        self.expiryYear = expiryYear
        self.securityCode = securityCode
        self.cardId = cardId
        self.confirmFinalAttempt = confirmFinalAttempt
    }
}

/// The card-face AP's data, images in base64: the answer of `POST .../card-face`, and the face
/// beside a card-face check's verdict (``CheckedFace``). Personal data: `no-store`, never logged.
public struct CardFaceResponse: Codable, Sendable, Equatable {
    /// The face photo, JPEG 2000 (`image/jp2`), as on the card: always in `POST .../card-face`'s
    /// answer; beside a check's verdict only when asked with `photo: true`.
    public var photo: String?
    /// PNG images of the printed name, address and security code.
    public var nameImage: String
    public var addressImage: String
    public var securityCodeImage: String?
    /// As the card stores them (normally `YYYYMMDD`).
    public var birthDate: String
    public var expiry: String?
    public var sex: SexView

    public init(
        photo: String?, nameImage: String, addressImage: String, securityCodeImage: String?, birthDate: String,
        expiry: String?, sex: SexView
    ) {
        self.photo = photo
        self.nameImage = nameImage
        self.addressImage = addressImage
        self.securityCodeImage = securityCodeImage
        self.birthDate = birthDate
        self.expiry = expiry
        self.sex = sex
    }
}

/// `POST .../pins/{kind}/change`.
public struct PINChangeRequest: CardBoundRequest {
    public var pin: String
    public var newPin: String
    public var cardId: String?
    public var confirmFinalAttempt: Bool?

    /// The body's fields: the API accepts these and no other.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case pin, newPin, cardId, confirmFinalAttempt
    }

    public init(pin: String, newPin: String, cardId: String? = nil, confirmFinalAttempt: Bool? = nil) {
        self.pin = pin
        self.newPin = newPin
        self.cardId = cardId
        self.confirmFinalAttempt = confirmFinalAttempt
    }
}

/// The answer to a PIN change: `changed`, and the PIN's counter read afterwards.
public struct PINChangeResponse: Codable, Sendable, Equatable {
    public var result: String
    public var pin: PINView
    public init(result: String, pin: PINView) {
        self.result = result
        self.pin = pin
    }
}
