import Crypto
import Foundation

/// The card-data parts of a simulated My Number card (reference 5a–5c): PIN A (`0014`) and PIN B
/// (`0015`) in the card-text AP, and the card-face AP with its PINs and EF `0002`.
extension CardBuilder {
    static let cardFaceAID: [UInt8] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x02]

    /// PIN EFs of the card-data applications, as the simulator stores them.
    enum CardDataPIN {
        static let textPINA: UInt16 = 0x0014
        static let textPINB: UInt16 = 0x0015
        static let facePINA: UInt16 = 0x0013
        static let facePINB: UInt16 = 0x0012
    }

    /// Adds PIN A and PIN B to the card-text AP and appends the card-face AP, for a My Number card.
    static func addCardData(to applications: inout [CardImage.Application], _ scenario: Scenario) throws {
        guard scenario.token == .myNumberCard,
            let text = applications.firstIndex(where: { $0.name == "card-text" })
        else { return }
        let pinA = scenario.holder.myNumber
        let pinB = scenario.cardFacePINB
        applications[text].pins += [
            try pinRecord(
                CardDataPIN.textPINA, pinA, max: Scenario.cardDataMaxTries, left: scenario.tries("card-text-a")),
            try pinRecord(
                CardDataPIN.textPINB, pinB, max: Scenario.cardDataMaxTries, left: scenario.tries("card-text-b")),
        ]
        let face = CardImage.Application(
            name: "card-face", aid: Data(cardFaceAID),
            files: [
                .init(
                    fid: 0x0002, content: cardFaceFile(scenario.holder), readPIN: CardDataPIN.facePINB,
                    readPINAlternatives: [CardDataPIN.facePINA])
            ],
            pins: [
                try pinRecord(
                    CardDataPIN.facePINB, pinB, max: Scenario.cardDataMaxTries, left: scenario.tries("card-face-b")),
                try pinRecord(
                    CardDataPIN.facePINA, pinA, max: Scenario.cardDataMaxTries, left: scenario.tries("card-face-a")),
            ],
            keys: [])
        let juki = applications.firstIndex { $0.name == "juki" } ?? applications.endIndex
        applications.insert(face, at: juki)
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
        let inner =
            tlv([0xDF, 0x21], [0x00, 0x00, 0x00]) + tlv([0xDF, 0x22], birth)
            + tlv([0xDF, 0x23], Array(holder.sex.utf8))
            + tlv([0xDF, 0x24], publicKey) + tlv([0xDF, 0x25], CardFaceImages.name)
            + tlv([0xDF, 0x26], CardFaceImages.address) + tlv([0xDF, 0x27], CardFaceImages.photo)
            + tlv([0xDF, 0x28], signature) + tlv([0xDF, 0x29], expiry)
            + tlv([0xDF, 0x2A], CardFaceImages.securityCode)
        return Data(tlv([0xFF, 0x20], inner))
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
    /// Tries of the four card-data PINs A and B in the simulator; a real card does not report them.
    public static let cardDataMaxTries = 5
    /// `triesLeft` keys of the card-data PINs and their maximum in the simulator.
    static let cardDataPINTries = [
        "card-text-a": cardDataMaxTries, "card-text-b": cardDataMaxTries, "card-face-a": cardDataMaxTries,
        "card-face-b": cardDataMaxTries,
    ]

    /// Scenarios of the card data (reference 5a–5c).
    public static let cardDataPresetNames = [
        "my-number-corrupt", "long-address", "card-text-a-blocked", "card-text-b-blocked", "card-face-a-blocked",
        "card-face-b-blocked",
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
        default: return false
        }
        return true
    }

    /// PIN B of both card-data APs: birth date `YYMMDD`, the card's expiry year `YYYY` and the
    /// 4-digit security code.
    public var cardFacePINB: String {
        let birth = holder.birthDate.replacingOccurrences(of: "-", with: "")
        return String(birth.dropFirst(2)) + String(holder.cardExpiryDate.prefix(4)) + holder.securityCodeValue
    }
}

extension Scenario.Holder {
    /// The security code printed on the card's back (default `5678`).
    public var securityCodeValue: String { securityCode ?? "5678" }
    /// The card's expiry date `YYYY-MM-DD` (default `2035-01-02`).
    public var cardExpiryDate: String { cardExpiry ?? "2035-01-02" }
}
