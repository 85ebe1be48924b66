import ISO7816

/// The command APDUs jpkid sends. Everything above the card layer asks for operations; only
/// this file knows bytes. Every command here has a bounded size (AIDs, file ids, a PIN of at
/// most 16 bytes, a DigestInfo of at most 83), so construction cannot fail.
enum CardCommands {
    /// SELECT DF by name, no response data (`00 A4 04 0C`).
    static func select(_ application: CardApplication) -> CommandAPDU {
        try! CommandAPDU(ins: 0xA4, p1: 0x04, p2: 0x0C, data: application.aid)
    }

    /// SELECT EF by file id, no response data (`00 A4 02 0C 02 <FID>`).
    static func selectFile(_ fid: UInt16) -> CommandAPDU {
        try! CommandAPDU(ins: 0xA4, p1: 0x02, p2: 0x0C, data: [UInt8(fid >> 8), UInt8(fid & 0xFF)])
    }

    /// READ BINARY of the current EF at `offset` (at most 0x7FFF).
    static func readBinary(offset: Int, length: Int) -> CommandAPDU {
        try! CommandAPDU(
            ins: 0xB0, p1: UInt8((offset >> 8) & 0x7F), p2: UInt8(offset & 0xFF), expectedLength: length)
    }

    /// READ BINARY with a short EF identifier in P1: selects the EF and reads from offset 0.
    static func readBinary(shortFileID sfi: UInt8, length: Int) -> CommandAPDU {
        try! CommandAPDU(ins: 0xB0, p1: 0x80 | (sfi & 0x1F), p2: 0x00, expectedLength: length)
    }

    /// The empty VERIFY (case 1) against the current EF: reads the retry counter, spends nothing.
    static let verifyStatus = try! CommandAPDU(ins: 0x20, p1: 0x00, p2: 0x80)

    /// The empty VERIFY naming the PIN EF by short identifier in P2.
    static func verifyStatus(shortFileID sfi: UInt8) -> CommandAPDU {
        try! CommandAPDU(ins: 0x20, p1: 0x00, p2: 0x80 | (sfi & 0x1F))
    }

    /// VERIFY with the PIN against the current EF. Only ever sent once per request.
    static func verify(_ pin: PIN) -> CommandAPDU {
        try! CommandAPDU(ins: 0x20, p1: 0x00, p2: 0x80, data: pin.bytes)
    }

    /// COMPUTE DIGITAL SIGNATURE over a DigestInfo with the selected key EF (`80 2A 00 80`).
    static func computeSignature(_ digestInfo: DigestInfo) -> CommandAPDU {
        try! CommandAPDU(cla: 0x80, ins: 0x2A, p1: 0x00, p2: 0x80, data: digestInfo.encoded, expectedLength: 256)
    }
}
