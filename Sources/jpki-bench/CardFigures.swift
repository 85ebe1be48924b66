import ArgumentParser
import CardSimulator
import Foundation
import MyNumberCard
import PCSC

/// Card reads (APDUs and time) in-process on the simulated card, and through pcscd when a reader is given.
struct CardFigures: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "card", abstract: "Card reads in-process and through pcscd: time and APDUs per operation.")

    @Option(help: "Iterations per measurement.")
    var iterations = 50

    @Option(help: "Also read through this PC/SC reader (e.g. 'Virtual PCD 00 00').")
    var reader: String?

    func run() async throws {
        let sim = try SimulatedCard(image: try CardBuilder.build(Scenario()))
        let card = MyNumberCard(transport: SimulatedCardTransport(card: sim))
        try await measure("in-process readSummary", apdus: { sim.apduCount }) { _ = try await card.readSummary() }
        try await measure("in-process pinStatuses", apdus: { sim.apduCount }) { _ = try await card.pinStatuses() }
        let pin = try PIN("1234", for: .auth)
        let digest = DigestInfo(algorithm: .sha256, hashing: Array("challenge".utf8))
        try await measure("in-process sign (auth)", apdus: { sim.apduCount }) {
            _ = try await card.sign(digest, with: .auth, pin: pin, confirmFinalAttempt: false)
        }
        try await genuineChecks()

        if let reader {
            let context = try await PCSCContext.establish()
            let connection = try await context.connect(reader: reader)
            let overPCSC = MyNumberCard(transport: connection)
            try await measure("pcscd readSummary", apdus: nil) { _ = try await overPCSC.readSummary() }
            try await measure("pcscd pinStatuses", apdus: nil) { _ = try await overPCSC.pinStatuses() }
            // Every PIN session ends with a checked power cycle; its cost beside the anchor
            // above (an empty transaction with only the power cycle, then whole operations).
            try await measure("pcscd power cycle (transaction)", apdus: nil) {
                try await connection.withTransaction(ending: .leaveCard) { try await connection.powerCycle() }
            }
            try await measure("pcscd verify (auth)", apdus: nil) {
                try await overPCSC.verify(pin, confirmFinalAttempt: false)
            }
            let signPIN = try PIN("ABC123", for: .sign)
            try await measure("pcscd verify (sign)", apdus: nil) {
                try await overPCSC.verify(signPIN, confirmFinalAttempt: false)
            }
            try await measure("pcscd sign (auth)", apdus: nil) {
                _ = try await overPCSC.sign(digest, with: .auth, pin: pin, confirmFinalAttempt: false)
            }
            try await measure("pcscd sign (sign)", apdus: nil) {
                _ = try await overPCSC.sign(digest, with: .sign, pin: signPIN, confirmFinalAttempt: false)
            }
            await connection.disconnect(resetCard: true)
            await context.release()
        }
    }

    func measure(_ name: String, apdus: (() -> Int)?, _ body: () async throws -> Void) async throws {
        try await body()  // warm up (and learn the card's short-identifier support)
        let before = apdus?() ?? 0
        let clock = ContinuousClock()
        let elapsed = try await clock.measure {
            for _ in 0..<iterations { try await body() }
        }
        let perOperation = elapsed / iterations
        let milliseconds =
            Double(perOperation.components.attoseconds) / 1e15
            + Double(perOperation.components.seconds) * 1000
        var line =
            "\(name.padding(toLength: 34, withPad: " ", startingAt: 0)) "
            + String(format: "%8.3f ms/op  %8.1f op/s", milliseconds, 1000 / milliseconds)
        if let apdus { line += "  \((apdus() - before) / iterations) APDUs/op" }
        print(line)
    }

    /// The IC-chip check and the age check on a card signed with a hierarchy of the
    /// simulator's, beside the sign above: three raw RSA public operations (ModularExponentiation) and a challenge.
    func genuineChecks() async throws {
        let hierarchy = try CVCHierarchy.generate()
        var entries = CVCAuthorities.builtIn.entries.values.map { $0 }
        for ca in [hierarchy.cardFaceCA, hierarchy.cardTextCA] {
            let file = try JSONSerialization.data(withJSONObject: try ca.publicKeyFile())
            entries.append(try CVCAuthorities.parse(keyFile: file, path: ca.id))
        }
        let authorities = CVCAuthorities(entries: entries, allowedTestIDs: Set(entries.map(\.id)))
        let sim = try SimulatedCard(image: try CardBuilder.build(Scenario(), hierarchy: hierarchy))
        let card = MyNumberCard(transport: SimulatedCardTransport(card: sim))
        let codeB = try PIN(Scenario().cardFacePINB, for: .cardFacePINB)
        try await measure("in-process card-face check", apdus: { sim.apduCount }) {
            let result = try await card.checkCardFace(pin: codeB, authorities: authorities)
            guard result.verdict == .genuine else { throw ValidationError("the check said \(result.verdict)") }
        }
        let birth = try PIN(Scenario().cardFaceBirthDigits, for: .cardFaceBirthDate)
        try await measure("in-process age check", apdus: { sim.apduCount }) {
            _ = try await card.checkAge(birthDatePIN: birth, minimumAge: 20, on: "2026-12-05", authorities: authorities)
        }
        let cvcKey = authorities.entries.values.first { $0.id.isTestHierarchy }!.key
        let probe = [UInt8](repeating: 0x42, count: cvcKey.size)
        try await measure("raw RSA public operation", apdus: nil) { _ = cvcKey.publicOperation(probe) }
    }
}
