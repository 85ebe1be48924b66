extension PINKind {
    /// The file in ``application`` that this key opens and that can prove the key is closed again:
    /// after a power cycle, READ BINARY of one byte of it must answer `69 82`. Nil for a key that
    /// protects no readable file (the auth and JUKI PINs guard only a private key or nothing a
    /// READ BINARY can reach): for those the reader's verdict from its other sessions stands. The
    /// card-text PIN is checked on EF 0002, never on the my number's EF 0001.
    public var protectedFile: UInt16? {
        switch self {
        case .cardText: CardTextFile.basicAttributes
        default: securityCheckFile
        }
    }
}
