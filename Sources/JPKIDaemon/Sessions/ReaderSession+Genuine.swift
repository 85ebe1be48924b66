import ErrorCodes
import FoundationEssentials
import JPKIAPI
import MyNumberCard

/// The IC-chip check and the age check (issue 21), each through ``withPIN`` like every PIN
/// operation: format and `cardId` checks first, then one guarded transaction with one VERIFY,
/// ended by the card's power cycle.
///
/// What they return is personal data: it goes to the caller and nowhere else. The log line and
/// the metric carry only the verdict.
extension ReaderSession {
    public func checkCardFace(_ request: CardFaceCheckRequest) async throws -> CardFaceCheckResponse {
        let (kind, value): (PINKind, String)
        switch (request.pinA, request.pinB) {
        case (let a?, nil): (kind, value) = (.cardFacePINA, a)
        case (nil, let b?): (kind, value) = (.cardFacePINB, b)
        default: throw APIError.badRequest("give exactly one of pinA and pinB")
        }
        let rendered = request.renderedMyNumber ?? false
        if rendered, kind != .cardFacePINA {
            throw APIError.badRequest("the rendered my number opens only with pinA (the my number)")
        }
        let authorities = self.cvcAuthorities
        let confirm = request.confirmFinalAttempt ?? false
        let result = try await withPIN(kind, value, cardId: request.cardId) { card, pin in
            try await card.checkCardFace(
                pin: pin, authorities: authorities, renderedMyNumber: rendered, confirmFinalAttempt: confirm)
        }
        metrics.genuineCheck(.cardFace, result.verdict)
        logger.notice(
            "card-face check",
            metadata: ["verdict": "\(result.verdict.rawValue)", "issuer": "\(result.issuer?.description ?? "-")"])
        let photo = request.photo ?? false
        return CardFaceCheckResponse(
            verdict: result.verdict.rawValue, reason: result.reason, steps: result.steps.map(GenuineStepView.init),
            issuer: result.issuer?.description, nextSteps: .forVerdict(result.verdict.rawValue),
            face: result.face.map { CheckedFace($0, photo: photo) },
            renderedMyNumber: result.renderedMyNumber.map { Data($0).base64EncodedString() })
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
