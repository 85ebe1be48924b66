import FuzzSupport
import ISO7816

/// Response and command APDU parsing, and the hex helpers around them: never a trap, and what
/// parses encodes back to the same value.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAPDU(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)

    do {
        let response = try ResponseAPDU(bytes: bytes)
        require(response.bytes == bytes, "a response does not encode back to its bytes")
        require(response.data.count == bytes.count - 2, "response data length")
        _ = response.statusWord.description
    } catch {
        require(bytes.count < 2, "\(bytes.count) response bytes refused: \(error)")
    }

    if let command = try? CommandAPDU(bytes: bytes) {
        // A command encodes to the same value, in its own form and in the extended form.
        let encoded = command.encoded()
        require((try? CommandAPDU(bytes: encoded)) == command, "command does not round-trip: \(bytes.hexString)")
        if !command.data.isEmpty || command.expectedLength != nil {
            let extended = command.encoded(forceExtended: true)
            require((try? CommandAPDU(bytes: extended)) == command, "extended form does not round-trip")
        }
        require(!command.needsExtendedLength || encoded.count > 5, "extended command with a short encoding")
        // A PIN in VERIFY / CHANGE / RESET RETRY data never shows in the redacted form.
        let redacted = command.redactedDescription
        if CommandAPDU.secretInstructions.contains(command.ins), command.data.count >= 5 {
            require(!redacted.contains(command.data.hexString), "redacted description shows the data")
        }
    }

    // Hex in and out.
    require([UInt8](hex: bytes.hexString) == bytes, "hexString does not parse back")
    require([UInt8](hex: bytes.compactHex) == bytes, "compactHex does not parse back")
    if let parsed = [UInt8](hex: String(decoding: bytes, as: UTF8.self)) {
        require(parsed.count <= bytes.count / 2, "hex parser made more bytes than digits allow")
    }
    return 0
}

@main
enum APDUFuzzer {
    static func main() { runFuzzer(fuzzAPDU) }
}
