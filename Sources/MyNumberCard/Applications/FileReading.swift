import ErrorCodes
import ISO7816

extension MyNumberCard {
    /// How the length of a file's content is known.
    enum ContentLength {
        /// A DER value: the length comes from its header.
        case der
        /// A fixed number of bytes.
        case fixed(Int)
    }

    /// The largest offset READ BINARY can address without a short identifier (15 bits).
    static let maxOffset = 0x7FFF

    /// Reads a whole DER-encoded file (a certificate) in the currently selected application.
    func readDERFile(_ fid: UInt16) async throws -> [UInt8] {
        try await readFile(fid, length: .der)
    }

    /// Reads a file in the selected application: the first chunk by short EF identifier where the
    /// card allows it (else SELECT EF + READ BINARY), then the rest. With extended length (known,
    /// or tried once and remembered) a certificate comes in one READ BINARY; otherwise in
    /// 256-byte chunks.
    func readFile(_ fid: UInt16, length: ContentLength) async throws -> [UInt8] {
        let wanted: Int
        switch length {
        case .der: wanted = CommandAPDU.maxExpectedLength
        case .fixed(let n): wanted = n
        }
        var (data, selectedByFileID) = try await readFirstChunk(fid, wanted: wanted)

        let total: Int
        switch length {
        case .fixed(let n): total = n
        case .der:
            // An EF erased to 00 or FF (a revoked certificate) holds no value: as good as absent.
            if let first = data.first, first == 0x00 || first == 0xFF, data.allSatisfy({ $0 == first }) {
                throw CardError.fileNotFound(fid)
            }
            total = try Self.derTotalLength(data)
        }
        guard total <= Self.maxOffset + 1 else {
            throw CardError.malformedResponse(
                "file \(fid.hex4) claims \(total) bytes, beyond what READ BINARY can address")
        }
        while data.count < total {
            let offset = data.count
            let response = try await readBinary(wanted: total - offset) {
                CardCommands.readBinary(offset: offset, length: $0)
            }
            switch response.statusWord.meaning {
            case .success, .endOfFileReached:
                guard !response.data.isEmpty else {
                    throw CardError.malformedResponse("file \(fid.hex4) ended after \(data.count) of \(total) bytes")
                }
                data += response.data
            case .commandNotAllowed where !selectedByFileID:
                // The card read by short identifier without making the EF current: select it.
                try await selectFile(fid)
                selectedByFileID = true
            case .wrongParameters:
                throw CardError.malformedResponse("file \(fid.hex4) ended after \(data.count) of \(total) bytes")
            case .securityStatusNotSatisfied:
                throw CardError.pinRequired("file \(fid.hex4)")
            default:
                throw CardError.unexpectedStatus(operation: "READ BINARY \(fid.hex4)", response.statusWord)
            }
        }
        return Array(data.prefix(total))
    }

    /// The first chunk, and whether the EF was selected with SELECT (not by short identifier).
    private func readFirstChunk(_ fid: UInt16, wanted: Int) async throws -> ([UInt8], Bool) {
        if options.useShortFileIdentifiers, fid <= 0x1E, shortForms.withLock({ $0.read }) != false {
            let response = try await readBinary(wanted: wanted) {
                CardCommands.readBinary(shortFileID: UInt8(fid), length: $0)
            }
            switch response.statusWord.meaning {
            case .success, .endOfFileReached:
                shortForms.withLock { $0.read = true }
                return (response.data, false)
            case .securityStatusNotSatisfied:
                throw CardError.pinRequired("file \(fid.hex4)")
            case .fileNotFound:
                // Proves the file is missing only once the card has shown it knows the form.
                if shortForms.withLock({ $0.read }) == true { throw CardError.fileNotFound(fid) }
            default:
                shortForms.withLock { $0.read = false }
            }
        }
        try await selectFile(fid)
        let response = try await readBinary(wanted: wanted) { CardCommands.readBinary(offset: 0, length: $0) }
        switch response.statusWord.meaning {
        case .success, .endOfFileReached:
            return (response.data, true)
        case .securityStatusNotSatisfied:
            throw CardError.pinRequired("file \(fid.hex4)")
        default:
            throw CardError.unexpectedStatus(operation: "READ BINARY \(fid.hex4)", response.statusWord)
        }
    }

    /// One READ BINARY asking for up to `wanted` bytes: all of them in one extended APDU where
    /// that works, else at most 256. While extended length is unknown the first extended APDU is
    /// the test: `67 00` (wrong length) or a reader that cannot carry it makes it short for good.
    private func readBinary(wanted: Int, _ command: (Int) -> CommandAPDU) async throws -> ResponseAPDU {
        let support = extended.withLock { $0 }
        guard wanted > 256, support != .unsupported else {
            return try await transport.exchange(command(min(wanted, 256)))
        }
        let response: ResponseAPDU
        do {
            response = try await transport.exchange(command(min(wanted, CommandAPDU.maxExpectedLength)))
        } catch let error as any CodedError where support == .unknown && error.code == .notTransacted {
            extended.withLock { $0 = .unsupported }
            return try await transport.exchange(command(256))
        }
        guard support == .unknown else { return response }
        switch response.statusWord.meaning {
        case .wrongLength:
            extended.withLock { $0 = .unsupported }
            return try await transport.exchange(command(256))
        case .success, .endOfFileReached:
            extended.withLock { $0 = .supported }
        default:
            break
        }
        return response
    }

    /// Total length (header + content) of the DER value that starts `prefix`.
    static func derTotalLength(_ prefix: [UInt8]) throws(CardError) -> Int {
        guard prefix.count >= 2, prefix[0] == 0x30 else {
            throw .malformedResponse("file does not start with a DER SEQUENCE")
        }
        let first = Int(prefix[1])
        if first < 0x80 { return 2 + first }
        let count = first & 0x7F
        guard (1...3).contains(count), prefix.count >= 2 + count else {
            throw .malformedResponse("unsupported DER length form 0x\(String(first, radix: 16))")
        }
        var length = 0
        for byte in prefix[2..<(2 + count)] { length = length << 8 | Int(byte) }
        return 2 + count + length
    }
}
