import ISO7816

/// Card data (reference 5a–5c): the card-text AP, the card-face AP and PIN change.
///
/// Each operation runs in ``withVerifiedPIN(_:confirmFinalAttempt:_:)``: one transaction that
/// SELECTs the application and PIN EF, reads the counter with the empty VERIFY (spends nothing),
/// refuses a blocked PIN or an unconfirmed final try, sends VERIFY once, does the work and ends
/// with a checked power cycle. Nothing here is retried, cached or logged.
extension MyNumberCard {
    /// Reads the fields asked for from the card-text AP after verifying `pin`: the card-text PIN
    /// (`0011`) opens both files, PIN A (`0014`, the my number) only EF 0001 (the my number), PIN B
    /// (`0015`, 照合番号B) only EF 0002 (the four attributes). Fields the credential cannot open throw
    /// ``CardError/credentialCannotOpen(_:_:)`` before any APDU. The my number (EF 0001) is read
    /// only when `fields` names it.
    public func readCardText(
        pin: PIN, fields: Set<CardText.Field> = CardText.Field.defaults, confirmFinalAttempt: Bool = false
    ) async throws -> CardText {
        try CardText.Field.check(fields, openedBy: pin.kind)
        return try await withVerifiedPIN(pin, confirmFinalAttempt: confirmFinalAttempt) {
            var text = CardText()
            let attributes = fields.subtracting([.myNumber])
            if !attributes.isEmpty {
                let ef = try await self.readTLVFile(CardTextFile.basicAttributes)
                text = try CardText.parseBasicAttributes(ef, fields: attributes)
            }
            if fields.contains(.myNumber) {
                let ef = try await self.readFile(CardTextFile.myNumber, length: .fixed(CardText.myNumberFileLength))
                text.myNumber = try CardText.parseMyNumber(ef)
            }
            return text
        }
    }

    /// Reads EF 0002 of the card-face AP after verifying PIN A (`0013`) or PIN B (`0012`) of that
    /// AP; the birth-date key (`0011`) does not open it (reference 5c).
    public func readCardFace(pin: PIN, confirmFinalAttempt: Bool = false) async throws -> CardFace {
        guard pin.kind == .cardFacePINA || pin.kind == .cardFacePINB else {
            throw CardError.credentialCannotOpen(
                pin.kind, "the card face (EF 0002): give the card face PIN A (my number) or PIN B (照合番号B)")
        }
        return try await withVerifiedPIN(pin, confirmFinalAttempt: confirmFinalAttempt) {
            try CardFace.parse(try await self.readTLVFile(CardFaceFile.faceData))
        }
    }

    /// The PINs CHANGE REFERENCE DATA serves (reference 5b).
    public static let changeablePINs: Set<PINKind> = [.auth, .sign, .cardText]

    /// Verifies `current`, then sends CHANGE REFERENCE DATA with `new` once (reference 5b). A
    /// status other than `90 00` throws ``CardError/pinChangeFailed(_:_:oldPINStands:)``, which
    /// says whether the current PIN still stands where the status word tells, and nothing where
    /// it does not.
    public func changePIN(current: PIN, new: PIN, confirmFinalAttempt: Bool = false) async throws {
        guard Self.changeablePINs.contains(current.kind) else {
            throw CardError.pinFormat(current.kind, "only the auth, sign and card-text PINs can be changed")
        }
        guard new.kind == current.kind else {
            throw CardError.pinFormat(new.kind, "the new PIN must be a \(current.kind.displayName)")
        }
        guard !new.hasSameValue(as: current) else {
            throw CardError.pinFormat(current.kind, "the new PIN must differ from the current one")
        }
        try await withVerifiedPIN(current, confirmFinalAttempt: confirmFinalAttempt) {
            let response: ResponseAPDU
            do {
                // Sent exactly once: `exchange` never resends, and nothing here loops.
                var command = CardCommands.changeReferenceData(new)
                defer { command.wipe() }
                response = try await self.transport.exchange(command)
            } catch {
                throw CardError.pinChangeFailed(current.kind, nil, oldPINStands: nil)
            }
            switch response.statusWord.meaning {
            case .success:
                return
            case .securityStatusNotSatisfied, .wrongLength, .incorrectData, .incorrectParameters,
                .conditionsNotSatisfied, .instructionNotSupported, .classNotSupported:
                // The card refused the command itself: nothing was written.
                throw CardError.pinChangeFailed(current.kind, response.statusWord, oldPINStands: true)
            default:
                throw CardError.pinChangeFailed(current.kind, response.statusWord, oldPINStands: nil)
            }
        }
    }

    // MARK: - Building blocks (run with the card held)

    /// Reads an EF that holds one BER-TLV data object (`FF 20 …`): its header first, then the whole
    /// object, at most ``maxTLVFileLength`` bytes.
    func readTLVFile(_ fid: UInt16) async throws -> [UInt8] {
        let header = try await readFile(fid, length: .fixed(5))
        let total: Int
        do {
            total = try BERTLV.totalLength(ofObjectStarting: header)
        } catch {
            throw CardError.malformedResponse("file \(fid.hex4): \(error.message)")
        }
        guard total <= Self.maxTLVFileLength else {
            throw CardError.malformedResponse("file \(fid.hex4) claims \(total) bytes, more than a card file holds")
        }
        return total <= header.count ? Array(header.prefix(total)) : try await readFile(fid, length: .fixed(total))
    }

    /// The largest card-data file read (the card-face EF is several KB; READ BINARY addresses 32 KB).
    static let maxTLVFileLength = 0x8000
}

extension CardText {
    /// EF 0001 as the card holds it: `FF 10 0C`, 12 digits, then `FF FF` filler (17 bytes).
    static let myNumberFileLength = 17
}

extension CardText.Field {
    /// The card-text credentials (reference 5a).
    public static let credentials: [PINKind] = [.cardText, .cardTextPINA, .cardTextPINB]

    /// The fields `kind` opens: the card-text PIN all, PIN A the my number (EF 0001), PIN B the four
    /// attributes (EF 0002); other kinds none.
    public static func opened(by kind: PINKind) -> Set<CardText.Field> {
        switch kind {
        case .cardText: Set(allCases)
        case .cardTextPINA: [.myNumber]
        case .cardTextPINB: [.name, .address, .birthDate, .sex]
        default: []
        }
    }

    /// Throws ``CardError/credentialCannotOpen(_:_:)`` when `kind` cannot open every field asked for.
    public static func check(_ fields: Set<CardText.Field>, openedBy kind: PINKind) throws(CardError) {
        let opened = opened(by: kind)
        guard !opened.isEmpty else {
            throw .credentialCannotOpen(kind, "the card text application: give its PIN, PIN A or PIN B")
        }
        let closed = fields.subtracting(opened)
        guard closed.isEmpty else {
            let names = CardText.Field.allCases.filter(closed.contains).map(\.rawValue).joined(separator: ", ")
            let hint =
                kind == .cardTextPINA
                ? "PIN A opens only the my number (EF 0001); ask for fields [myNumber] or use PIN B or the card text PIN"
                : "PIN B opens only name, address, birthDate and sex (EF 0002); use PIN A or the card text PIN for the my number"
            throw .credentialCannotOpen(kind, "\(names): \(hint)")
        }
    }
}

extension CardCommands {
    /// CHANGE REFERENCE DATA with only the new value, against the current PIN EF (`00 24 01 80`).
    static func changeReferenceData(_ new: PIN) -> CommandAPDU {
        try! CommandAPDU(ins: 0x24, p1: 0x01, p2: 0x80, data: new.bytes)
    }
}
