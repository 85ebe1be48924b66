import CPCSCLite
import Testing

@testable import PCSC

@Suite("pcsc-lite return codes")
struct PCSCErrorTests {
    @Test(arguments: [
        (SCARD_E_NO_SERVICE, "no_service"),
        (SCARD_F_COMM_ERROR, "comm_error"),
        (SCARD_E_NO_READERS_AVAILABLE, "no_readers"),
        (SCARD_W_REMOVED_CARD, "card_removed"),
        (SCARD_E_NO_SMARTCARD, "no_card"),
        (SCARD_E_READER_UNAVAILABLE, "reader_unavailable"),
        (SCARD_E_TIMEOUT, "timeout"),
        (SCARD_E_SHARING_VIOLATION, "sharing_violation"),
        (SCARD_E_CANCELLED, "cancelled"),
        (SCARD_W_SECURITY_VIOLATION, "access_denied"),
        (SCARD_W_RESET_CARD, "card_reset"),
        (SCARD_E_UNKNOWN_READER, "unknown_reader"),
        (Int(0x8010_0099), "pcsc_error"),
    ])
    func codes(_ status: Int, _ code: String) {
        let error = PCSCError(status: status, operation: "SCardTransmit")
        #expect(error.code.rawValue == code)
        #expect(error.message.hasPrefix("SCardTransmit: "))
    }

    @Test func classification() {
        #expect(PCSCError(status: SCARD_E_NO_SERVICE, operation: "x").isServiceLost)
        #expect(PCSCError(status: SCARD_F_COMM_ERROR, operation: "x").isServiceLost)
        #expect(PCSCError(status: SCARD_W_REMOVED_CARD, operation: "x").isCardGone)
        #expect(!PCSCError(status: SCARD_E_TIMEOUT, operation: "x").isCardGone)
    }

    @Test func readerStateHasTheLinuxABI() {
        // 64-bit Linux: 8-byte DWORD, unpacked: 2 pointers, 3 DWORDs, 33 ATR bytes, 7 bytes of padding.
        #expect(MemoryLayout<DWORD>.size == 8)
        #expect(MemoryLayout<SCARD_READERSTATE>.size == 80)
        #expect(MemoryLayout<SCARD_READERSTATE>.offset(of: \.dwCurrentState) == 16)
        #expect(MemoryLayout<SCARD_READERSTATE>.offset(of: \.rgbAtr) == 40)
    }
}
