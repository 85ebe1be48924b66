import CardSimulator
import Foundation
import ISO7816
import MyNumberCard
import PCSC
import Testing

/// How transactions end, through the real pcscd: two handles on the card are two PC/SC clients.
/// (An extension of the serialized integration suite: one pcscd at a time.)
extension PCSCIntegrationTests {
    /// SELECT EF 0017 and COMPUTE DIGITAL SIGNATURE on `card` without a PIN or a DF selection.
    static func signWithoutPIN(_ card: PCSCCard) async throws -> StatusWord {
        try await card.withTransaction(ending: .leaveCard) {
            _ = try await card.transmit(try CommandAPDU(ins: 0xA4, p1: 0x02, p2: 0x0C, data: [0x00, 0x17]))
            return try await card.transmit(
                try CommandAPDU(
                    cla: 0x80, ins: 0x2A, p1: 0x00, p2: 0x80,
                    data: DigestInfo(algorithm: .sha256, hashing: [1]).encoded, expectedLength: 256)
            ).statusWord
        }
    }

    /// Verifies the auth PIN on `card` in a transaction ended as `ending`, leaving the key EF selected.
    static func verifyAuth(_ card: PCSCCard, ending: TransactionEnd) async throws {
        try await card.withTransaction(ending: ending) {
            _ = try await card.transmit(try CommandAPDU(ins: 0xA4, p1: 0x04, p2: 0x0C, data: CardApplication.jpki.aid))
            _ = try await card.transmit(try CommandAPDU(ins: 0xA4, p1: 0x02, p2: 0x0C, data: [0x00, 0x18]))
            let sw = try await card.transmit(try CommandAPDU(ins: 0x20, p1: 0x00, p2: 0x80, data: Array("1234".utf8)))
            #expect(sw.statusWord == .success)
            _ = try await card.transmit(try CommandAPDU(ins: 0xA4, p1: 0x02, p2: 0x0C, data: [0x00, 0x17]))
        }
    }

    @Test func aTransactionEndedWithResetLeavesNothingForTheNextClient() async throws {
        try await Harness.with { harness in
            try await harness.insertCard()
            let context = try await PCSCContext.establish()
            let jpkid = try await context.connect(reader: virtualReader)
            let other = try await (try await PCSCContext.establish()).connect(reader: virtualReader)
            // The control: handed back as it is, the card signs for anyone.
            try await Self.verifyAuth(jpkid, ending: .leaveCard)
            #expect(try await Self.signWithoutPIN(other) == .success)
            // Ended with a reset, nothing is left verified, not even a selected DF.
            try await Self.verifyAuth(jpkid, ending: .resetCard)
            // 69 85 (nothing selected) or 69 82 (not verified); 90 00 or 6F 00 would be a verified key.
            #expect(
                [.conditionsNotSatisfied, .securityStatusNotSatisfied].contains(try await Self.signWithoutPIN(other)))
            // And jpkid's own handle goes on after its own reset (SCARD_W_RESET_CARD once).
            #expect(try await MyNumberCard(transport: jpkid).pinStatus(.auth).remaining == 3)
            await jpkid.disconnect()
            await other.disconnect()
            await context.release()
        }
    }

    @Test func aResetByAnotherClientIsNormal() async throws {
        try await Harness.with { harness in
            try await harness.insertCard()
            let jpkid = try await (try await PCSCContext.establish()).connect(reader: virtualReader)
            let card = MyNumberCard(transport: jpkid)
            let before = try await card.readSummary()
            let other = try await (try await PCSCContext.establish()).connect(reader: virtualReader)
            try await other.reconnect(resetCard: true)
            // pcsc-lite answers jpkid's next call with SCARD_W_RESET_CARD; the transport reconnects.
            #expect(try await card.readSummary() == before)
            try await card.verify(try PIN("1234", for: .auth), confirmFinalAttempt: false)
            await other.disconnect()
            await jpkid.disconnect()
        }
    }

    @Test func extendedReadsThroughPcscdAreLearntAndUsed() async throws {
        try await Harness.with { harness in
            try await harness.insertCard()
            let connection = try await (try await PCSCContext.establish()).connect(reader: virtualReader)
            let card = MyNumberCard(transport: connection)
            let summary = try await card.readSummary()
            #expect(summary.certificates[.auth]!.count >= 1400)
            // vpcd does not answer SCARD_ATTR_MAXINPUT; one extended READ BINARY settles it.
            #expect(connection.extendedLength == .unknown)
            #expect(card.extendedLength == .supported)
            await connection.disconnect()
        }
    }
}
