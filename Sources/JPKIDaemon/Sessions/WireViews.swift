import FoundationEssentials
import JPKIAPI
import MyNumberCard

// The card layer's values in their wire form. The wire types (JPKIAPI) know nothing of the card
// layer, so that clients link no card code; the daemon converts here, in one place.

extension CertificateView {
    /// A certificate's view at `now`: expiry and the renewal window in Japan time.
    init(_ info: CertificateInfo, now: Date) {
        self.init(
            subject: info.subject, issuer: info.issuer, serialNumber: info.serialNumber,
            sha256Fingerprint: info.sha256Fingerprint, notBefore: info.notBefore, notAfter: info.notAfter,
            expiryDate: info.expiryDate.description, renewableFrom: info.renewableFrom.description,
            status: Status(info.status(at: now)), daysUntilExpiry: info.daysUntilExpiry(from: now))
    }
}

extension CardView.Kind {
    init(_ kind: CardKind) { self.init(rawValue: kind.code) }
}

extension PINView.Kind {
    init(_ kind: PINKind) { self.init(rawValue: kind.rawValue) }
}

extension CertificateView.Slot {
    init(_ slot: CertificateSlot) { self.init(rawValue: slot.rawValue) }
}

extension CertificateView.Status {
    init(_ status: CertificateStatus) { self.init(rawValue: status.rawValue) }
}

extension CertificateView.Trust {
    init(_ code: TrustCode) { self.init(rawValue: code.rawValue) }
}

extension PINView {
    /// A PIN counter as the empty VERIFY (or the last VERIFY's status word) reported it.
    init(_ status: PINStatus) {
        self.init(
            remaining: status.remaining, max: status.knownMaxTries, blocked: status.isBlocked,
            verified: status.isVerified, available: status.state != .notAvailable, label: status.kind.displayName)
    }
}

extension SexView {
    init(_ sex: Sex) { self.init(code: sex.code, name: sex.name) }
}

extension CardTextResponse {
    /// Personal data: the caller serves it with `no-store` and never logs it.
    init(_ text: CardText) {
        self.init(
            myNumber: text.myNumber?.digits, name: text.name, address: text.address, birthDate: text.birthDate?.iso,
            sex: text.sex.map(SexView.init))
    }
}

extension CardFaceResponse {
    /// Personal data: the caller serves it with `no-store` and never logs it.
    init(_ face: CardFace) {
        self.init(
            photo: Data(face.photo).base64EncodedString(), nameImage: Data(face.nameImage).base64EncodedString(),
            addressImage: Data(face.addressImage).base64EncodedString(),
            securityCodeImage: face.securityCodeImage.map { Data($0).base64EncodedString() },
            birthDate: face.birthDate, expiry: face.expiry, sex: SexView(face.sex))
    }
}
