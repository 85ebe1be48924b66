import Crypto
import Foundation
import JapaneseCalendar

/// The card-data parts of a simulated My Number card (reference 5a, 5c): the card-text AP's keys
/// and files, and the card-face AP with its three keys and files. Each key opens exactly the files
/// the reference measured on cards:
///
/// | AP | key | opens |
/// |---|---|---|
/// | card text | `0011` PIN | `0001`, `0002`, `0003`, `0006`, `0007` |
/// | card text | `0014` 照合番号A (my number) | `0001`, `0003`, `0006`, `0007` |
/// | card text | `0015` 照合番号B | `0002`, `0003`, `0006`, `0007` |
/// | card text | `0012` | nothing; arrives blocked |
/// | card face | `0011` era birth date | `0001` |
/// | card face | `0012` 照合番号B | `0002`, `0006` (`0003`, `0004` are free) |
/// | card face | `0013` 照合番号A | `0002`, `0005`, `0006` |
extension CardBuilder {
    static let cardFaceAID: [UInt8] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x02]

    /// PIN EFs of the card-data applications, as the simulator stores them.
    enum CardDataPIN {
        static let textPIN: UInt16 = 0x0011
        static let textBlocked: UInt16 = 0x0012
        static let textPINA: UInt16 = 0x0014
        static let textPINB: UInt16 = 0x0015
        static let faceBirthDate: UInt16 = 0x0011
        static let facePINA: UInt16 = 0x0013
        static let facePINB: UInt16 = 0x0012
    }

    /// Fills the card-text AP (files, PIN A, PIN B, the blocked `0012`) and appends the card-face
    /// AP, for a My Number card.
    static func addCardData(to applications: inout [CardImage.Application], _ scenario: Scenario) throws {
        guard scenario.token == .myNumberCard,
            let text = applications.firstIndex(where: { $0.name == "card-text" })
        else { return }
        let pinA = scenario.holder.myNumber
        let pinB = scenario.cardFacePINB
        let pin = CardDataPIN.textPIN
        let (a, b) = (CardDataPIN.textPINA, CardDataPIN.textPINB)
        applications[text].files = [
            .init(fid: 0x0001, content: myNumberFile(scenario.holder.myNumber), readPIN: pin, readPINAlternatives: [a]),
            .init(fid: 0x0002, content: basicAttributesFile(scenario.holder), readPIN: pin, readPINAlternatives: [b]),
        ]
        // Stand-ins for the signed records of reference 13.3 (the genuine-card check fills them).
        for fid: UInt16 in [0x0003, 0x0006, 0x0007] {
            applications[text].files.append(
                .init(fid: fid, content: standIn(fid), readPIN: pin, readPINAlternatives: [a, b]))
        }
        // 0012: no citizen's key; every card examined has it blocked, so no value opens it.
        var blocked = try pinRecord(CardDataPIN.textBlocked, "\(UInt64.random(in: 0...UInt64.max))", max: 3, left: 0)
        blocked.remaining = 0
        applications[text].pins += [
            blocked,
            try pinRecord(a, pinA, max: Scenario.cardDataMaxTries, left: scenario.tries("card-text-a")),
            try pinRecord(b, pinB, max: Scenario.cardDataMaxTries, left: scenario.tries("card-text-b")),
        ]
        let (birthKey, faceA, faceB) = (CardDataPIN.faceBirthDate, CardDataPIN.facePINA, CardDataPIN.facePINB)
        let face = CardImage.Application(
            name: "card-face", aid: Data(cardFaceAID),
            files: [
                .init(fid: 0x0001, content: ageRecordFile(scenario.holder), readPIN: birthKey),
                .init(
                    fid: 0x0002, content: cardFaceFile(scenario.holder), readPIN: faceB, readPINAlternatives: [faceA]),
                .init(fid: 0x0003, content: standIn(0x0003), readPIN: nil),
                .init(fid: 0x0004, content: standIn(0x0004), readPIN: nil),
                .init(fid: 0x0005, content: standIn(0x0005), readPIN: faceA),
                .init(
                    fid: 0x0006, content: Data(repeating: 0xFF, count: 16), readPIN: faceB, readPINAlternatives: [faceA]
                ),
            ],
            pins: [
                try pinRecord(
                    birthKey, scenario.cardFaceBirthDigits, max: Scenario.cardDataMaxTries,
                    left: scenario.tries("card-face-birth-date")),
                try pinRecord(faceB, pinB, max: Scenario.cardDataMaxTries, left: scenario.tries("card-face-b")),
                try pinRecord(faceA, pinA, max: Scenario.cardDataMaxTries, left: scenario.tries("card-face-a")),
            ],
            keys: [])
        let juki = applications.firstIndex { $0.name == "juki" } ?? applications.endIndex
        applications.insert(face, at: juki)
    }

    /// A small placeholder object for a file whose content jpkid does not read here.
    static func standIn(_ fid: UInt16) -> Data {
        Data(tlv([0xFF, 0x30 + UInt8(fid & 0x0F)], tlv([0xDF, 0x31], Array("stand-in".utf8))))
    }

    /// EF 0001 of the card-face AP (the age record, reference 13.2): `FF 10` holding `DF 11` birth
    /// date `YYYYMMDD` and stand-ins of the right size for the card key and the signature.
    static func ageRecordFile(_ holder: Scenario.Holder) -> Data {
        let birth = Array(holder.birthDate.replacingOccurrences(of: "-", with: "").utf8)
        let seed = Array(SHA256.hash(data: Array(holder.name.utf8)))
        let key = (0..<265).map { seed[$0 % seed.count] }
        let signature = (0..<256).map { seed[($0 * 5) % seed.count] ^ 0xA5 }
        return Data(
            tlv([0xFF, 0x10], tlv([0xDF, 0x11], birth) + tlv([0xDF, 0x12], key) + tlv([0xDF, 0x13], signature)))
    }

    /// EF 0002 of the card-face AP: `FF 20` holding `DF 21` … `DF 2A` (reference 5c), with the
    /// synthetic images of ``CardFaceImages``.
    static func cardFaceFile(_ holder: Scenario.Holder) -> Data {
        let birth = Array(holder.birthDate.replacingOccurrences(of: "-", with: "").utf8)
        let expiry = Array(holder.cardExpiryDate.replacingOccurrences(of: "-", with: "").utf8)
        // Stand-ins of the right size for the public key and the signature the real card holds.
        let seed = Array(SHA256.hash(data: Array(holder.name.utf8)))
        let publicKey = [0x30, 0x82, 0x01, 0x0A] + (0..<266).map { seed[$0 % seed.count] }
        let signature = (0..<256).map { seed[($0 * 7) % seed.count] ^ 0x5A }
        return Data(
            withOffsetTable(
                [0xFF, 0x20],
                [
                    tlv([0xDF, 0x22], birth), tlv([0xDF, 0x23], Array(holder.sex.utf8)), tlv([0xDF, 0x24], publicKey),
                    tlv([0xDF, 0x25], CardFaceImages.name), tlv([0xDF, 0x26], CardFaceImages.address),
                    tlv([0xDF, 0x27], CardFaceImages.photo), tlv([0xDF, 0x28], signature), tlv([0xDF, 0x29], expiry),
                    tlv([0xDF, 0x2A], CardFaceImages.securityCode),
                ]))
    }
}

extension CardImage.File {
    /// Whether the security state `verified` allows READ BINARY: a free file, or one whose PIN (or
    /// one of its alternatives) is verified.
    func isReadable(verified: Set<UInt16>) -> Bool {
        guard let readPIN else { return true }
        return verified.contains(readPIN) || (readPINAlternatives ?? []).contains(where: verified.contains)
    }
}

extension Scenario {
    /// Tries of the card-data keys (照合番号A and B, the birth-date key) in the simulator; the
    /// public sources do not give them, and a real card reports only the tries left.
    public static let cardDataMaxTries = 5
    /// `triesLeft` keys of the card-data keys and their maximum in the simulator.
    static let cardDataPINTries = [
        "card-text-a": cardDataMaxTries, "card-text-b": cardDataMaxTries, "card-face-a": cardDataMaxTries,
        "card-face-b": cardDataMaxTries, "card-face-birth-date": cardDataMaxTries,
    ]

    /// Scenarios of the card data (reference 5a–5c).
    public static let cardDataPresetNames = [
        "my-number-corrupt", "long-address", "card-text-a-blocked", "card-text-b-blocked", "card-face-a-blocked",
        "card-face-b-blocked", "card-face-birth-date-blocked",
    ]

    /// Applies a card-data preset; false when `name` is not one.
    mutating func applyCardDataPreset(_ name: String) -> Bool {
        switch name {
        case "my-number-corrupt": holder.myNumber = "123456789019"
        case "long-address":
            // 120 kanji (360 bytes of UTF-8): the address's length needs the `82 xx xx` form.
            holder.address = "東京都千代田区霞が関二丁目一番二号" + String(repeating: "長い住所", count: 26)
        case "card-text-a-blocked": triesLeft["card-text-a"] = 0
        case "card-text-b-blocked": triesLeft["card-text-b"] = 0
        case "card-face-a-blocked": triesLeft["card-face-a"] = 0
        case "card-face-b-blocked": triesLeft["card-face-b"] = 0
        case "card-face-birth-date-blocked": triesLeft["card-face-birth-date"] = 0
        default: return false
        }
        return true
    }

    /// 照合番号B, PIN B of both card-data APs: the birth date `YYMMDD` with its **Japanese era**
    /// year (1980-02-17 → `550217`), the card's expiry year `YYYY` and the 4-digit security code.
    public var cardFacePINB: String {
        cardFaceBirthDigits + String(holder.cardExpiryDate.prefix(4)) + holder.securityCodeValue
    }

    /// The card-face key `0011`: the birth date `YYMMDD` with its Japanese era year.
    public var cardFaceBirthDigits: String {
        JapanDate(iso: holder.birthDate).flatMap { JapaneseEraDate($0)?.yymmdd } ?? "000000"
    }
}

extension Scenario.Holder {
    /// The security code printed on the card's back (default `5678`).
    public var securityCodeValue: String { securityCode ?? "5678" }
    /// The card's expiry date `YYYY-MM-DD` (default `2035-01-02`).
    public var cardExpiryDate: String { cardExpiry ?? "2035-01-02" }
}
