import CardSimulator
import ErrorCodes
import Foundation
import ISO7816
import MyNumberCard
import PCSC
import Testing

let virtualReader = "Virtual PCD 00 00"
let defaultATR: [UInt8] = [0x3B, 0x88, 0x80, 0x01, 0x00, 0x00, 0x05, 0xE0, 0xB3, 0x81, 0xA1, 0x00, 0x7F]

@Suite("PC/SC through the real pcscd with the simulated card", .serialized, .enabled(if: pcscTestsEnabled))
struct PCSCIntegrationTests {
    @Test func monitorSeesInsertRemoveAndReinsert() async throws {
        try await Harness.with { harness in
            let log = EventLog()
            await log.start(ReaderMonitor(waitTimeout: .seconds(2)))
            defer { Task { await log.stop() } }
            _ = try await log.wait { $0 == .readerAdded(virtualReader) }
            try await harness.insertCard()
            let inserted = try await log.wait { $0 == .cardInserted(reader: virtualReader, atr: defaultATR) }
            try await harness.removeCard()
            let removed = try await log.wait(from: inserted) { $0 == .cardRemoved(reader: virtualReader) }
            try await harness.insertCard()
            _ = try await log.wait(from: removed) { $0 == .cardInserted(reader: virtualReader, atr: defaultATR) }
        }
    }

    @Test func readersAreListed() async throws {
        try await Harness.with { _ in
            let context = try await PCSCContext.establish()
            let readers = try await context.listReaders()
            #expect(readers.contains(virtualReader))
            await context.release()
        }
    }

    @Test func fullReadThroughPCSCMatchesTheInProcessRead() async throws {
        try await Harness.with { harness in
            try await harness.insertCard()
            let context = try await PCSCContext.establish()
            let card = try await context.connect(reader: virtualReader)
            #expect(try await card.status().atr == defaultATR)
            let viaPCSC = try await MyNumberCard(transport: card).readSummary()
            await card.disconnect()
            await context.release()

            let sim = try SimulatedCard(image: try harness.cardImage())
            let inProcess = try await MyNumberCard(transport: SimulatedCardTransport(card: sim)).readSummary()
            #expect(viaPCSC == inProcess)
            #expect(viaPCSC.kind == .myNumberCard)
            #expect(viaPCSC.pins.map(\.remaining) == [3, 5, 3, 5, 5, 3, 3, 5, 5, 5])
        }
    }

    @Test func removalMidOperationFailsCleanlyAndTheNextInsertionReads() async throws {
        try await Harness.with { harness in
            let log = EventLog()
            await log.start(ReaderMonitor(waitTimeout: .seconds(2)))
            defer { Task { await log.stop() } }
            try await harness.insertCard(["--remove-after", "6", "--reinsert-after-ms", "500"])
            let inserted = try await log.wait { $0 == .cardInserted(reader: virtualReader, atr: defaultATR) }
            let context = try await PCSCContext.establish()
            let card = try await context.connect(reader: virtualReader)
            do {
                _ = try await MyNumberCard(transport: card).readSummary()
                Issue.record("the read should fail: the card was pulled")
            } catch let error as any CodedError {
                #expect(error.code == .cardRemoved)
            }
            await card.disconnect()
            let removed = try await log.wait(from: inserted) { $0 == .cardRemoved(reader: virtualReader) }
            _ = try await log.wait(from: removed) { $0 == .cardInserted(reader: virtualReader, atr: defaultATR) }
            let again = try await context.connect(reader: virtualReader)
            let summary = try await MyNumberCard(transport: again).readSummary()
            #expect(summary.kind == .myNumberCard)
            await again.disconnect()
            await context.release()
        }
    }

    @Test func monitorSurvivesAPCSCDRestart() async throws {
        try await Harness.with { harness in
            let log = EventLog()
            await log.start(ReaderMonitor(waitTimeout: .seconds(2), maximumBackoff: .milliseconds(500)))
            defer { Task { await log.stop() } }
            try await harness.insertCard()
            let inserted = try await log.wait { $0 == .cardInserted(reader: virtualReader, atr: defaultATR) }
            try await harness.stopPCSCD()
            let outage = try await log.wait(from: inserted) {
                if case .pcscUnavailable = $0 { return true }
                return false
            }
            try await harness.startPCSCD()
            let restored = try await log.wait(from: outage) { $0 == .pcscRestored }
            _ = try await log.wait(from: restored) { $0 == .readerAdded(virtualReader) }
            // The simulator reconnects to the new pcscd by itself: the card comes back.
            _ = try await log.wait(from: restored) { $0 == .cardInserted(reader: virtualReader, atr: defaultATR) }
        }
    }

    @Test func concurrentClientsNeverInterleaveTheirAPDUs() async throws {
        try await Harness.with { harness in
            try await harness.insertCard(["--delay-ms", "2"])
            // Two contexts and two handles, as two programs would have: only the PC/SC
            // transaction keeps their operations apart.
            let first = try await PCSCContext.establish()
            let second = try await PCSCContext.establish()
            let a = try await first.connect(reader: virtualReader)
            let b = try await second.connect(reader: virtualReader)
            async let one = MyNumberCard(transport: a).readSummary()
            async let two = MyNumberCard(transport: b).readSummary()
            let (x, y) = try await (one, two)
            #expect(x == y)
            await a.disconnect()
            await b.disconnect()
            await first.release()
            await second.release()
            let trace = try harness.trace()
            let starts = trace.indices.filter { trace[$0].command.hasPrefix("00 A4 04 0C 0A D3 92 F0") }
            #expect(starts.count == 2)
            // Each operation is one contiguous run: the second starts where the first ended.
            #expect(starts.last! - starts.first! == trace.count / 2)
        }
    }
}
