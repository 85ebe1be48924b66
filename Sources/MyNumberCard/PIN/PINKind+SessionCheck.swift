extension PINKind {
    /// The file in ``application`` that this key opens and that can prove the key is closed again:
    /// after a power cycle, READ BINARY of one byte of it must answer `69 82`. Nil for a key that
    /// protects no readable file (the auth and both JUKI PINs guard only a private key or nothing a
    /// READ BINARY can reach): for those the reader's verdict from its other sessions stands.
    public var protectedFile: UInt16? {
        switch self {
        case .sign: JPKIFile.signCertificate
        case .auth, .juki, .jukiAP: nil
        case .cardText, .cardTextPINB: CardTextFile.basicAttributes
        case .cardTextPINA: CardTextFile.myNumber
        case .cardFaceBirthDate: CardFaceFile.ageRecord
        case .cardFacePINA, .cardFacePINB: CardFaceFile.faceData
        }
    }
}
