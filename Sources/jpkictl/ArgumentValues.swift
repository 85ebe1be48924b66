import ArgumentParser

// The closed sets of values jpkictl's arguments take: ArgumentParser refuses anything else
// before a PIN is asked for or jpkid is called, and lists them in the help.

/// What `pin verify` verifies.
enum VerifiablePIN: String, CaseIterable, ExpressibleByArgument {
    case auth, sign
    case cardText = "card-text"
    case juki
    case jukiAP = "juki-ap"
    case cardFaceBirthDate = "card-face-birth-date"
}

/// What `pin change` changes.
enum ChangeablePIN: String, CaseIterable, ExpressibleByArgument {
    case auth, sign
    case cardText = "card-text"
}

/// The key `sign` uses.
enum SigningKey: String, CaseIterable, ExpressibleByArgument {
    case auth, sign
}

/// The digests jpkid signs (`--digest-algorithm`).
enum DigestAlgorithm: String, CaseIterable, ExpressibleByArgument {
    case sha1, sha256, sha384, sha512
}

/// What `cert export` exports: `sign` needs the sign PIN.
enum ExportedCertificate: String, CaseIterable, ExpressibleByArgument {
    case auth
    case authCA = "auth-ca"
    case signCA = "sign-ca"
    case sign
}

/// The credential that opens the card-text AP (`card-text --with`).
enum CardTextCredential: String, CaseIterable, ExpressibleByArgument {
    /// The card text PIN.
    case pin
    /// 照合番号A.
    case a
    /// 照合番号B.
    case b
}

/// Which card-face key to ask for (`--pin` of `card-face` and `check-card`).
enum CardFaceKey: String, CaseIterable, ExpressibleByArgument {
    /// 照合番号A.
    case a
    /// 照合番号B.
    case b
}
