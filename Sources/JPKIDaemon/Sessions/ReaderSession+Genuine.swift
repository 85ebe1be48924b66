import ErrorCodes
import FoundationEssentials
import JPKIAPI
import JapaneseCalendar
import MyNumberCard

/// The IC-chip check and the age check, each through ``withPIN`` like every PIN
/// operation: format and `cardId` checks first, then one guarded transaction with one VERIFY,
/// ended by the card's power cycle.
///
/// What they return is personal data: it goes to the caller and nowhere else. The log line and
/// the metric carry only the verdict.
extension ReaderSession {
    public func checkCardFace(_ request: CardFaceCheckRequest) async throws -> CardFaceCheckResponse {
        let credential = try request.cardFace.credential()
        let rendered = request.renderedMyNumber ?? false
        if rendered, credential.kind != .cardFacePINA {
            throw APIError.badRequest("the rendered my number opens only with pinA (the my number)")
        }
        let authorities = self.cvcAuthorities
        let confirm = request.confirmFinalAttempt ?? false
        let result = try await withPIN(credential.kind, making: credential.make, cardId: request.cardId) {
            card, pin in
            try await card.checkCardFace(
                pin: pin, authorities: authorities, renderedMyNumber: rendered, confirmFinalAttempt: confirm)
        }
        await rereadCounter(credential.kind)
        metrics.genuineCheck(.cardFace, result.verdict)
        logger.notice(
            "card-face check",
            metadata: ["verdict": "\(result.verdict.rawValue)", "issuer": "\(result.issuer?.description ?? "-")"])
        let photo = request.photo ?? false
        return CardFaceCheckResponse(
            verdict: result.verdict.rawValue, reason: result.reason, steps: result.steps.map(GenuineStepView.init),
            issuer: result.issuer?.description,
            nextSteps: .forVerdict(result.verdict.rawValue, steps: result.steps.map(GenuineStepView.init)),
            face: result.face.map { CheckedFace($0, photo: photo) },
            renderedMyNumber: result.renderedMyNumber.map { Data($0).base64EncodedString() },
            pins: cardFaceCounters())
    }
}

extension ReaderSession {
    /// The age check: the customer's stated birth date opens the age record (its own VERIFY of
    /// the card-face birth-date key), whose signature, CVC and the chip's challenge prove it.
    /// Answers "at least `minimumAge` on `date`" (default: today in Japan); the birth date only
    /// when asked.
    public func checkAge(_ request: AgeCheckRequest) async throws -> AgeCheckResponse {
        guard (1...150).contains(request.minimumAge) else {
            throw APIError.badRequest("minimumAge must be 1 to 150")
        }
        let date: String
        if let given = request.date {
            guard let parsed = JapanDate(iso: given) else { throw APIError.badRequest("date must be YYYY-MM-DD") }
            date = parsed.description
        } else {
            date = JapanDate.today.description
        }
        let kind = PINKind.cardFaceBirthDate
        let value = request.birthDate
        let authorities = self.cvcAuthorities
        let confirm = request.confirmFinalAttempt ?? false
        let returning = request.returnBirthDate ?? false
        let result = try await withPIN(
            kind, making: { try CardDataCredential.pin(value, for: kind) }, cardId: request.cardId
        ) {
            card, pin in
            try await card.checkAge(
                birthDatePIN: pin, minimumAge: request.minimumAge, on: date, returningBirthDate: returning,
                authorities: authorities, confirmFinalAttempt: confirm)
        }
        await rereadCounter(kind)
        metrics.genuineCheck(.age, result.verdict)
        logger.notice(
            "age check",
            metadata: ["verdict": "\(result.verdict.rawValue)", "issuer": "\(result.issuer?.description ?? "-")"])
        let born = result.birthDate.map { b in
            b.count == 8 ? "\(b.prefix(4))-\(b.dropFirst(4).prefix(2))-\(b.suffix(2))" : b
        }
        return AgeCheckResponse(
            verdict: result.verdict.rawValue, reason: result.reason, steps: result.steps.map(GenuineStepView.init),
            minimumAge: result.minimumAge, date: result.date, atLeastMinimumAge: result.isOldEnough,
            birthDate: born,
            nextSteps: .forVerdict(result.verdict.rawValue, steps: result.steps.map(GenuineStepView.init)),
            pins: cardFaceCounters())
    }
}

extension ReaderSession {
    /// The three card-face keys' counters as the session knows them (read with the empty VERIFY).
    func cardFaceCounters() -> [PINView.Kind: PINView] {
        var pins: [PINView.Kind: PINView] = [:]
        for kind in [PINKind.cardFaceBirthDate, .cardFacePINB, .cardFacePINA] { pins[.init(kind)] = pinView(kind) }
        return pins
    }
}

extension ReaderSession {
    /// The card text with its check (reference 13.3), in one guarded transaction: the verdict
    /// covers the fields returned; the my number's digest only when it was asked for.
    func checkCardText(
        _ credential: CardDataCredential, fields: Set<CardText.Field>, cardId: String?, confirmFinalAttempt: Bool
    ) async throws -> CardTextCheckResponse {
        try CardText.Field.check(fields, openedBy: credential.kind)
        let authorities = self.cvcAuthorities
        let result = try await withPIN(credential.kind, making: credential.make, cardId: cardId) { card, pin in
            try await card.checkCardText(
                pin: pin, fields: fields, authorities: authorities, confirmFinalAttempt: confirmFinalAttempt)
        }
        await rereadCounter(credential.kind)
        metrics.genuineCheck(.cardText, result.verdict)
        logger.notice(
            "card-text check",
            metadata: ["verdict": "\(result.verdict.rawValue)", "issuer": "\(result.issuer?.description ?? "-")"])
        return CardTextCheckResponse(
            text: CardTextResponse(result.text), verdict: result.verdict.rawValue, reason: result.reason,
            steps: result.steps.map(GenuineStepView.init), issuer: result.issuer?.description,
            nextSteps: .forVerdict(
                result.verdict.rawValue, steps: result.steps.map(GenuineStepView.init), cardText: true))
    }
}

extension GenuineStepView {
    init(_ step: GenuineStep) {
        self.init(step: step.name.rawValue, result: step.result.rawValue, detail: step.detail)
    }
}

extension CheckedFace {
    init(_ face: CardFace, photo: Bool) {
        self.init(
            photo: photo ? Data(face.photo).base64EncodedString() : nil,
            nameImage: Data(face.nameImage).base64EncodedString(),
            addressImage: Data(face.addressImage).base64EncodedString(),
            securityCodeImage: face.securityCodeImage.map { Data($0).base64EncodedString() },
            birthDate: face.birthDate, expiry: face.expiry, sex: SexView(face.sex))
    }
}
