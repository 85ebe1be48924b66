import ISO7816

/// The challenge that proves the chip is present (reference 13.2 step 6): jpkid makes a fresh
/// random challenge, the card signs its SHA-256 DigestInfo with its own key in the selected AP
/// (`80 2A 00 00 33 <DigestInfo> 00`, P2 `00`: the AP's default key), and the answer must verify
/// with the card key the signed data carries. A copy of the files cannot answer it.
public struct PresenceChallenge: Sendable, Equatable {
    /// The random bytes hashed into the DigestInfo.
    public let challenge: [UInt8]

    /// A fresh challenge of 32 random bytes (never GET CHALLENGE: the card must not choose it).
    public static func fresh() -> PresenceChallenge {
        var generator = SystemRandomNumberGenerator()
        return PresenceChallenge(challenge: (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    public init(challenge: [UInt8]) { self.challenge = challenge }

    /// The DigestInfo the card signs.
    public var digestInfo: DigestInfo { DigestInfo(algorithm: .sha256, hashing: challenge) }

    /// The command: `80 2A 00 00 33 <DigestInfo> 00`.
    var command: CommandAPDU {
        // 51 bytes of data and Le 256: always a valid short APDU.
        try! CommandAPDU(cla: 0x80, ins: 0x2A, p1: 0x00, p2: 0x00, data: digestInfo.encoded, expectedLength: 256)
    }

    /// The step for the card's answer: passed when it verifies with `cardKey`, failed when it does
    /// not, not checked when the card refused the command (a refusal is not a failed signature).
    func step(_ name: GenuineStep.Name, response: ResponseAPDU, cardKey: CardRSAPublicKey, keyName: String)
        -> GenuineStep
    {
        guard response.statusWord.isSuccess else {
            return GenuineStep(
                name, .notChecked, "the card refused the challenge with status \(response.statusWord)")
        }
        guard cardKey.isValidSignature(response.data, digestInfo: digestInfo.encoded) else {
            return GenuineStep(
                name, .failed, "the chip's answer to the challenge does not verify with \(keyName)")
        }
        return GenuineStep(name, .passed, "the chip signed a fresh challenge; it verifies with \(keyName)")
    }
}
