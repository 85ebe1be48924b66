import ISO7816

/// Files of the card-text AP the genuine-card check reads (reference 13.3).
public enum CardTextSignedFile {
    /// `FF 30`: the integrity record (`DF31` my number digest, `DF32` attributes digest, `DF33`).
    public static let integrityRecord: UInt16 = 0x0003
    /// `7F 21`: the AP's card-verifiable certificate.
    public static let certificate: UInt16 = 0x0004
    /// `FF 50`: the AP's signing key (`DF51`), signed by the CVC's key (`DF52`).
    public static let signingKey: UInt16 = 0x0007
}

/// Card text read and checked: the data and the verdict that covers it.
public struct CardTextCheckResult: Sendable, CustomStringConvertible {
    public let text: CardText
    public let verdict: GenuineVerdict
    public let reason: String?
    public let steps: [GenuineStep]
    public let issuer: CVCKeyID?

    init(text: CardText, steps: [GenuineStep], issuer: CVCKeyID?) {
        self.text = text
        (verdict, reason) = GenuineVerdict.of(steps)
        self.steps = steps
        self.issuer = issuer
    }

    public var description: String { "CardTextCheckResult(\(verdict.rawValue), \(steps.count) steps, redacted)" }
}

extension MyNumberCard {
    /// Reads the card-text fields asked for (as ``readCardText(pin:fields:confirmFinalAttempt:)``)
    /// and checks them in the same verified state (reference 13.3): EF `0004`'s CVC (issuer
    /// `5000033`), the integrity record EF `0003` under the CVC's key, `DF32` against the four
    /// attributes as stored, `DF31` against EF `0001`'s 17 physical bytes only when the my number
    /// was asked for (otherwise that step is not applicable, and says why), EF `0007`'s signing
    /// key under the CVC's key, and a challenge in this AP verified with that key.
    public func checkCardText(
        pin: PIN, fields: Set<CardText.Field> = CardText.Field.defaults, authorities: CVCAuthorities,
        confirmFinalAttempt: Bool = false
    ) async throws -> CardTextCheckResult {
        try CardText.Field.check(fields, openedBy: pin.kind)
        return try await withVerifiedPIN(pin, confirmFinalAttempt: confirmFinalAttempt) {
            var steps: [GenuineStep] = []
            let (cvcFile, cvcProblem) = try await self.readSignedFile(CardTextSignedFile.certificate)
            let (cvcStep, cvc) = CVCStep.check(cvcFile, .cardTextCVC, authorities: authorities, unreadable: cvcProblem)
            steps.append(cvcStep)

            let (recordFile, recordProblem) = try await self.readSignedFile(CardTextSignedFile.integrityRecord)
            let record = recordFile.flatMap { try? SignedRecord.parse($0, .integrityRecord) }
            if let record {
                steps.append(
                    Self.recordStep(.cardTextRecord, cvc: cvc, "the integrity record") { record.isSigned(by: $0) })
            } else {
                steps.append(
                    GenuineStep(
                        .cardTextRecord, .notChecked, recordProblem ?? "EF 0003 is not a signed integrity record"))
            }

            var text = CardText()
            let attributes = fields.subtracting([.myNumber])
            if !attributes.isEmpty {
                let ef = try await self.readTLVFile(CardTextFile.basicAttributes)
                // One walk gives both the fields returned and the bytes compared with DF32.
                let (parsed, signed) = try CardText.parseSignedBasicAttributes(ef, fields: attributes)
                text = parsed
                steps.append(Self.digestStep(.cardTextAttributes, signed, record?.value(0xDF32), "DF32"))
            } else {
                steps.append(GenuineStep(.cardTextAttributes, .notApplicable, "no attribute was asked for"))
            }
            if fields.contains(.myNumber) {
                let ef = try await self.readFile(CardTextFile.myNumber, length: .fixed(CardText.myNumberFileLength))
                text.myNumber = try CardText.parseMyNumber(ef)
                steps.append(Self.digestStep(.cardTextMyNumber, ef, record?.value(0xDF31), "DF31"))
            } else {
                steps.append(
                    GenuineStep(
                        .cardTextMyNumber, .notApplicable,
                        "DF31 covers the my number, which was not asked for, so it was not read"))
            }

            let (keyFile, keyProblem) = try await self.readSignedFile(CardTextSignedFile.signingKey)
            var signingKey: CardRSAPublicKey?
            if let keyFile, let keyRecord = try? SignedRecord.parse(keyFile, .textSigningKey) {
                signingKey = try? keyRecord.cardKey(0xDF51)
                steps.append(Self.recordStep(.cardTextKey, cvc: cvc, "EF 0007's key") { keyRecord.isSigned(by: $0) })
            } else {
                steps.append(GenuineStep(.cardTextKey, .notChecked, keyProblem ?? "EF 0007 is not a signed key"))
            }
            let challenge = try await self.challengeStep(
                .cardTextChallenge, cardKey: signingKey, keyName: "EF 0007's key")
            // Design limit (reference 13.3): EF 0003 and EF 0007 are signed separately, with no
            // link like the card face's DF24 inside DF28, so the answer proves a J-LIS-certified
            // chip, not that this data belongs to it.
            steps.append(
                challenge.result == .passed
                    ? GenuineStep(
                        challenge.name, challenge.result,
                        challenge.detail
                            + "; this proves a J-LIS-certified chip answered, not that this data belongs to this chip (use the card-face check for identity)"
                    ) : challenge)
            return CardTextCheckResult(text: text, steps: steps, issuer: cvc?.issuer)
        }
    }

    /// A digest step: SHA-256 of `bytes` against the record's digest.
    static func digestStep(_ name: GenuineStep.Name, _ bytes: [UInt8]?, _ digest: [UInt8]?, _ tag: String)
        -> GenuineStep
    {
        guard let digest else { return GenuineStep(name, .notChecked, "no signed \(tag) to compare with") }
        guard let bytes else { return GenuineStep(name, .notChecked, "the data \(tag) covers does not parse") }
        return DigestAlgorithm.sha256.hash(bytes) == digest
            ? GenuineStep(name, .passed, "the data matches \(tag) of the signed record")
            : GenuineStep(name, .failed, "the data does not match \(tag) of the signed record")
    }
}
