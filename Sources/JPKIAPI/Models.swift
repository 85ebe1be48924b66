import ErrorCodes
import FoundationEssentials

// The JSON shapes of jpkid's v1 API, shared by the daemon and its clients.
// Dates are ISO 8601 instants (UTC); `expiryDate` / `renewableFrom` are dates in Japan time.

/// `GET /v1/health`.
public struct HealthView: Codable, Sendable, Equatable {
    public var version: String
    public var uptimeSeconds: Int
    /// `connected` or `unavailable`.
    public var pcsc: String
    public var readers: Int

    public init(version: String, uptimeSeconds: Int, pcsc: String, readers: Int) {
        self.version = version
        self.uptimeSeconds = uptimeSeconds
        self.pcsc = pcsc
        self.readers = readers
    }
}

/// The state of one reader.
public enum ReaderState: String, Codable, Sendable {
    case empty, reading, ready, error
    case unsupportedCard = "unsupported_card"
}

/// One reader, as `GET /v1/readers` lists it and `GET /v1/readers/{id}` shows it.
public struct ReaderView: Codable, Sendable, Equatable {
    /// A short id, stable for a reader name.
    public var id: String
    public var name: String
    public var state: ReaderState
    public var card: CardView?
    /// Why `state` is `error`.
    public var error: ErrorDetail?
    /// Present when the reader was found not to power the card down (a PIN stayed verified
    /// across the power cycle that ends a PIN session): PIN operations on it are refused with
    /// `reader_unsafe` until it is unplugged or jpkid restarts. Independent of `state`.
    public var unsafe: ReaderUnsafeView?

    public init(
        id: String, name: String, state: ReaderState, card: CardView?, error: ErrorDetail?,
        unsafe: ReaderUnsafeView? = nil
    ) {
        self.id = id
        self.name = name
        self.state = state
        self.card = card
        self.error = error
        self.unsafe = unsafe
    }
}

/// Why and since when a reader is marked unsafe (``ReaderView/unsafe``).
public struct ReaderUnsafeView: Codable, Sendable, Equatable {
    /// What the check after the power cycle found, in words (no card data).
    public var reason: String
    public var since: Date
    public init(reason: String, since: Date) {
        self.reason = reason
        self.since = since
    }
}

public struct ReaderList: Codable, Sendable, Equatable {
    public var readers: [ReaderView]
    public init(readers: [ReaderView]) { self.readers = readers }
}

/// What the daemon read from a card (PIN-free data only).
public struct CardView: Codable, Sendable, Equatable {
    /// This insertion of the card: random, new each time a card is placed on the reader, never
    /// derived from card data. Send it with every POST so a PIN only reaches this card.
    public var cardId: String
    /// `my_number_card`, `juki_card`, `other_jpki_token`, `non_jpki_card`, `no_jpki_application`;
    /// `unknown` while the card is first read.
    public var kind: Kind
    public var atr: String
    public var tokenLabel: String?
    /// When the card was last read; absent while it is being read for the first time or could
    /// not be read.
    public var readAt: Date?
    /// Keyed `auth`, `auth-ca`, `sign-ca` (``CertificateView/Slot/inReaderView``).
    public var certificates: [CertificateView.Slot: CertificateView]
    /// Keyed by PIN kind (``PINView/Kind/displayOrder``): `auth`, `sign`, `card-text`, `juki` (the
    /// common card application's 001C PIN), `juki-ap` (the JUKI application's own 001C PIN), and the
    /// card-data keys `card-text-a`, `card-text-b`, `card-face-birth-date`, `card-face-a`,
    /// `card-face-b`.
    public var pins: [PINView.Kind: PINView]

    public init(
        cardId: String, kind: Kind, atr: String, tokenLabel: String?, readAt: Date?,
        certificates: [CertificateView.Slot: CertificateView], pins: [PINView.Kind: PINView]
    ) {
        self.cardId = cardId
        self.kind = kind
        self.atr = atr
        self.tokenLabel = tokenLabel
        self.readAt = readAt
        self.certificates = certificates
        self.pins = pins
    }
}

public struct CertificateView: Codable, Sendable, Equatable {
    public var subject: String
    public var issuer: String
    public var serialNumber: String
    public var sha256Fingerprint: String
    public var notBefore: Date
    public var notAfter: Date
    /// `YYYY-MM-DD`, Japan time.
    public var expiryDate: String
    /// `YYYY-MM-DD`, Japan time: the first day of the renewal window.
    public var renewableFrom: String
    /// `valid`, `renewable`, `expired`, `not_yet_valid`.
    public var status: Status
    public var daysUntilExpiry: Int
    /// Against the configured trust anchors: `trusted`, `untrusted_issuer`, `expired`,
    /// `not_yet_valid`, `wrong_key_usage`, or `not_checked` when no anchors are configured.
    public var trust: Trust?
    /// Always false when present: JPKI revocation status is open only to registered verifiers.
    public var revocationChecked: Bool?

    public init(
        subject: String, issuer: String, serialNumber: String, sha256Fingerprint: String, notBefore: Date,
        notAfter: Date, expiryDate: String, renewableFrom: String, status: Status, daysUntilExpiry: Int,
        trust: Trust? = nil, revocationChecked: Bool? = nil
    ) {
        self.subject = subject
        self.issuer = issuer
        self.serialNumber = serialNumber
        self.sha256Fingerprint = sha256Fingerprint
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.expiryDate = expiryDate
        self.renewableFrom = renewableFrom
        self.status = status
        self.daysUntilExpiry = daysUntilExpiry
        self.trust = trust
        self.revocationChecked = revocationChecked
    }
}

public struct PINView: Codable, Sendable, Equatable {
    /// Tries left; nil when the card has no such PIN.
    public var remaining: Int?
    /// Tries before blocking; nil for PIN A and PIN B, whose maximum the card does not report.
    public var max: Int?
    public var blocked: Bool
    public var verified: Bool
    public var available: Bool
    /// What the PIN is, in English, naming the application where two look alike: `JUKI PIN
    /// (common card application)` for `juki`, `JUKI PIN (JUKI application)` for `juki-ap`.
    public var label: String?

    public init(remaining: Int?, max: Int?, blocked: Bool, verified: Bool, available: Bool, label: String? = nil) {
        self.remaining = remaining
        self.max = max
        self.blocked = blocked
        self.verified = verified
        self.available = available
        self.label = label
    }
}

/// The answer to a VERIFY: `verified` (200), or an error `wrong_pin` / `pin_blocked`.
public struct VerifyResponse: Codable, Sendable, Equatable {
    public var result: String
    public var pin: PINView
    public init(result: String, pin: PINView) {
        self.result = result
        self.pin = pin
    }
}

/// `POST .../sign` body. Exactly one of `digest` (base64) and `data` (base64).
public struct SignRequest: CardBoundRequest {
    public var key: String
    public var pin: String
    public var digestAlgorithm: String?
    public var digest: String?
    public var data: String?
    public var confirmFinalAttempt: Bool?
    /// The insertion this request is meant for (`CardView.cardId`); another card answers
    /// `409 card_changed`.
    public var cardId: String?

    /// The body's fields: the API accepts these and no other.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case key, pin, digestAlgorithm, digest, data, confirmFinalAttempt, cardId
    }

    public init(
        key: String, pin: String, digestAlgorithm: String? = nil, digest: String? = nil, data: String? = nil,
        confirmFinalAttempt: Bool? = nil, cardId: String? = nil
    ) {
        self.cardId = cardId
        self.key = key
        self.pin = pin
        self.digestAlgorithm = digestAlgorithm
        self.digest = digest
        self.data = data
        self.confirmFinalAttempt = confirmFinalAttempt
    }
}

public struct SignResponse: Codable, Sendable, Equatable {
    /// Base64 PKCS#1 v1.5 signature (256 bytes).
    public var signature: String
    public var digestAlgorithm: String
    /// The certificate of the key that signed, PEM.
    public var certificate: String
    public init(signature: String, digestAlgorithm: String, certificate: String) {
        self.signature = signature
        self.digestAlgorithm = digestAlgorithm
        self.certificate = certificate
    }
}

/// The body of `POST .../pins/{kind}/verify` and `POST .../certificates/sign`.
public struct PINRequest: CardBoundRequest {
    public var pin: String
    public var confirmFinalAttempt: Bool?
    /// The insertion this request is meant for (`CardView.cardId`); another card answers
    /// `409 card_changed`.
    public var cardId: String?

    /// The body's fields: the API accepts these and no other.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case pin, confirmFinalAttempt, cardId
    }

    public init(pin: String, confirmFinalAttempt: Bool? = nil, cardId: String? = nil) {
        self.pin = pin
        self.cardId = cardId
        self.confirmFinalAttempt = confirmFinalAttempt
    }
}

/// The signature certificate and its decoded fields. Personal data: served only here.
public struct SignCertificateResponse: Codable, Sendable, Equatable {
    public var certificate: String
    public var details: CertificateView
    public var holder: Holder

    public struct Holder: Codable, Sendable, Equatable {
        public var name: String?
        public var address: String?
        public var birthDate: String?
        public var sex: String?
        public init(name: String?, address: String?, birthDate: String?, sex: String?) {
            self.name = name
            self.address = address
            self.birthDate = birthDate
            self.sex = sex
        }
    }

    public init(certificate: String, details: CertificateView, holder: Holder) {
        self.certificate = certificate
        self.details = details
        self.holder = holder
    }
}

/// Every error: `{"error": {"code": "...", "message": "..."}}`.
public struct ErrorBody: Codable, Sendable, Equatable {
    public var error: ErrorDetail
    public init(error: ErrorDetail) { self.error = error }
}

public struct ErrorDetail: Codable, Sendable, Equatable {
    public var code: ErrorCode
    public var message: String
    /// Tries left, for `wrong_pin` and `final_attempt`; absent for `outcome_unknown` (not known).
    public var remaining: Int?
    /// True when the check after this operation's power cycle found the reader unsafe (the
    /// card's own answer is still the one given here).
    public var readerUnsafe: Bool?
    public init(code: ErrorCode, message: String, remaining: Int? = nil, readerUnsafe: Bool? = nil) {
        self.code = code
        self.message = message
        self.remaining = remaining
        self.readerUnsafe = readerUnsafe
    }
}

/// A server-sent event's data. No PINs, no personal data.
public struct EventView: Codable, Sendable, Equatable {
    /// `reader-added`, `reader-removed`, `card-inserted`, `card-ready`, `card-removed`,
    /// `pin-verified`, `pin-failed`, `pin-blocked`, `pcsc-unavailable`, `pcsc-restored`.
    public var type: String
    public var time: Date
    public var reader: String?
    public var readerName: String?
    public var pin: String?
    public var remaining: Int?
    public var kind: String?
    /// The insertion the event is about (`CardView.cardId`), for card and PIN events.
    public var cardId: String?

    public init(
        type: String, time: Date = Date(), reader: String? = nil, readerName: String? = nil, pin: String? = nil,
        remaining: Int? = nil, kind: String? = nil, cardId: String? = nil
    ) {
        self.cardId = cardId
        self.type = type
        self.time = time
        self.reader = reader
        self.readerName = readerName
        self.pin = pin
        self.remaining = remaining
        self.kind = kind
    }
}

/// JSON coding with ISO 8601 dates, as the API uses.
public enum APIJSON {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
