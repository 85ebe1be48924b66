import ISO7816

/// Files of the card-face AP the genuine-card check reads (reference 13.2).
public enum CardFaceSignedFile {
    /// The birth-date key (6 digits, era year): opens the age record only.
    public static let birthDateKey: UInt16 = 0x0011
    /// `FF 10`: the age record.
    public static let ageRecord: UInt16 = 0x0001
    /// `FF 40`: the rendered my number (opened by PIN A only).
    public static let renderedMyNumber: UInt16 = 0x0005
    /// `7F 21`: the AP's card-verifiable certificate (free).
    public static let certificate: UInt16 = 0x0004
}

/// The counter's IC-chip check (reference 13): is this card genuine, and is its holder
/// old enough?
///
/// Each runs in ``withVerifiedPIN(_:confirmFinalAttempt:_:)`` like every PIN operation: one
/// transaction with the guard and one VERIFY, ended by the card's power cycle, so nothing stays
/// verified. Nothing read is cached or logged; the answers carry it to the caller only.
extension MyNumberCard {
    /// Verifies 照合番号B (`0012`) or 照合番号A (`0013`) of the card-face AP, then: EF `0004`'s
    /// CVC under the CA key its issuer id names; `DF28` over the card face with the CVC's key;
    /// with `renderedMyNumber` (照合番号A only) EF `0005`; and the challenge, verified with `DF24`.
    public func checkCardFace(
        pin: PIN, authorities: CVCAuthorities, renderedMyNumber: Bool = false, confirmFinalAttempt: Bool = false
    ) async throws -> CardFaceCheckResult {
        guard pin.kind == .cardFacePINA || pin.kind == .cardFacePINB else {
            throw CardError.pinFormat(pin.kind, "the card-face check needs PIN A or PIN B of the card face application")
        }
        if renderedMyNumber, pin.kind != .cardFacePINA {
            throw CardError.pinFormat(pin.kind, "the rendered my number opens only with PIN A (the my number)")
        }
        return try await withVerifiedPIN(pin, confirmFinalAttempt: confirmFinalAttempt) {
            var steps: [GenuineStep] = []
            let (cvcFile, cvcProblem) = try await self.readSignedFile(CardFaceSignedFile.certificate)
            let (cvcStep, cvc) = CVCStep.check(cvcFile, .cardFaceCVC, authorities: authorities, unreadable: cvcProblem)
            steps.append(cvcStep)

            let (faceFile, faceProblem) = try await self.readSignedFile(CardFaceFile.faceData)
            var face: CardFace?
            var cardKey: CardRSAPublicKey?
            if let faceFile {
                face = try? CardFace.parse(faceFile)
                do {
                    let signature = try CardFaceSignature.parse(faceFile)
                    cardKey = signature.cardKey
                    steps.append(
                        Self.recordStep(.cardFaceSignature, cvc: cvc, "DF28 over the card face") {
                            signature.isSigned(by: $0)
                        })
                } catch {
                    steps.append(
                        GenuineStep(
                            .cardFaceSignature, .notChecked, (error as? CardError)?.message ?? "EF 0002 does not parse")
                    )
                }
            } else {
                steps.append(GenuineStep(.cardFaceSignature, .notChecked, faceProblem ?? "EF 0002 could not be read"))
            }

            var rendered: [UInt8]?
            if renderedMyNumber {
                let (file, problem) = try await self.readSignedFile(CardFaceSignedFile.renderedMyNumber)
                if let file, let record = try? SignedRecord.parse(file, .renderedMyNumber) {
                    rendered = record.value(0xDF41)
                    steps.append(Self.recordStep(.renderedMyNumber, cvc: cvc, "EF 0005") { record.isSigned(by: $0) })
                    if let key = try? record.cardKey(0xDF42), key != cardKey {
                        steps.append(
                            GenuineStep(.renderedMyNumber, .failed, "EF 0005 carries another card key than DF24"))
                    }
                } else {
                    steps.append(
                        GenuineStep(.renderedMyNumber, .notChecked, problem ?? "EF 0005 is not a signed record"))
                }
            } else {
                steps.append(GenuineStep(.renderedMyNumber, .notApplicable, "not asked for"))
            }

            steps.append(try await self.challengeStep(.cardFaceChallenge, cardKey: cardKey, keyName: "DF24"))
            return CardFaceCheckResult(steps: steps, issuer: cvc?.issuer, face: face, renderedMyNumber: rendered)
        }
    }

    /// The age check: verifies the birth-date key `0011` of the card-face AP with the birth date
    /// the customer states (its own VERIFY: 照合番号B does not open EF `0001`), then the CVC, the
    /// age record's signature and the challenge, answered by the key in `DF12`. Answers whether
    /// the holder is at least `minimumAge` on `date` (`YYYY-MM-DD`); the birth date only with
    /// `returningBirthDate`.
    public func checkAge(
        birthDatePIN pin: PIN, minimumAge: Int, on date: String, returningBirthDate: Bool = false,
        authorities: CVCAuthorities, confirmFinalAttempt: Bool = false
    ) async throws -> AgeCheckResult {
        guard pin.kind.application == .cardFace, pin.kind.fileID == CardFaceSignedFile.birthDateKey else {
            throw CardError.pinFormat(pin.kind, "the age check needs the birth-date key of the card face application")
        }
        return try await withVerifiedPIN(pin, confirmFinalAttempt: confirmFinalAttempt) {
            var steps: [GenuineStep] = []
            let (cvcFile, cvcProblem) = try await self.readSignedFile(CardFaceSignedFile.certificate)
            let (cvcStep, cvc) = CVCStep.check(cvcFile, .cardFaceCVC, authorities: authorities, unreadable: cvcProblem)
            steps.append(cvcStep)

            let (file, problem) = try await self.readSignedFile(CardFaceSignedFile.ageRecord)
            var birthDate: String?
            var cardKey: CardRSAPublicKey?
            if let file, let record = try? SignedRecord.parse(file, .ageRecord) {
                birthDate = record.value(0xDF11).flatMap { String(validating: $0, as: UTF8.self) }
                cardKey = try? record.cardKey(0xDF12)
                steps.append(Self.recordStep(.ageRecord, cvc: cvc, "the age record") { record.isSigned(by: $0) })
            } else {
                steps.append(GenuineStep(.ageRecord, .notChecked, problem ?? "EF 0001 is not a signed age record"))
            }
            steps.append(try await self.challengeStep(.cardFaceChallenge, cardKey: cardKey, keyName: "DF12"))
            return AgeCheckResult(
                steps: steps, issuer: cvc?.issuer, minimumAge: minimumAge, date: date, signedBirthDate: birthDate,
                returningBirthDate: returningBirthDate)
        }
    }

    // MARK: - Building blocks (run with the card held)

    /// A record's step: its signature under the CVC's key (whether or not the CVC is proven: the
    /// verdict weighs that).
    static func recordStep(
        _ name: GenuineStep.Name, cvc: CardVerifiableCertificate?, _ what: String,
        _ verifies: (CardRSAPublicKey) -> Bool
    ) -> GenuineStep {
        guard let cvc else { return GenuineStep(name, .notChecked, "no CVC key to check \(what) with") }
        return verifies(cvc.publicKey)
            ? GenuineStep(name, .passed, "\(what) verifies with the CVC's key \(cvc.subject)")
            : GenuineStep(name, .failed, "\(what) does not verify with the CVC's key \(cvc.subject)")
    }

    /// Sends a fresh challenge in the selected AP and checks the answer with `cardKey`.
    func challengeStep(_ name: GenuineStep.Name, cardKey: CardRSAPublicKey?, keyName: String) async throws
        -> GenuineStep
    {
        guard let cardKey else {
            return GenuineStep(name, .notChecked, "no signed card key (\(keyName)) to check it with")
        }
        let challenge = PresenceChallenge.fresh()
        let response = try await transport.exchange(challenge.command)
        return challenge.step(name, response: response, cardKey: cardKey, keyName: keyName)
    }

    /// A signed file of the selected AP, or nil and why: a card that answers "no such file" or
    /// "not allowed" gives a step that was not checked, not an error; a pulled card still throws.
    func readSignedFile(_ fid: UInt16) async throws -> ([UInt8]?, String?) {
        do {
            return (try await readTLVFile(fid), nil)
        } catch let error as CardError {
            return (nil, "EF \(fid.hex4) could not be read: \(error.message)")
        }
    }
}
