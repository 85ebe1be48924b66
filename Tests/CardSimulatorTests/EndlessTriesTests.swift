import Testing

@testable import CardSimulator

@Suite("Simulated card: the endless-tries fault")
struct EndlessTriesTests {
    /// The contract tests send many wrong PINs: with the fault the counter never moves, and
    /// without it the same wrong PINs block the PIN (so the fault is what keeps it open).
    @Test func wrongPINsSpendNoTryOnlyWithTheFault() throws {
        for endless in [true, false] {
            let card = try SimulatedCard(image: defaultImage)
            var faults = SimulatedCard.Faults()
            faults.endlessTries = endless
            card.faults = faults
            _ = card.send(selectJPKI)
            #expect(card.send("00 A4 02 0C 02 00 18").sw == 0x9000)
            let answers = (0..<5).map { _ in card.send("00 20 00 80 04 39 39 39 39").sw }
            if endless {
                #expect(answers == Array(repeating: 0x63C3, count: 5))
                #expect(card.image.remainingTries(0x0018, in: "jpki") == 3)
                #expect(card.send("00 20 00 80 04 31 32 33 34").sw == 0x9000)
            } else {
                #expect(answers == [0x63C2, 0x63C1, 0x63C0, 0x6984, 0x6984])
                #expect(card.image.remainingTries(0x0018, in: "jpki") == 0)
            }
        }
    }
}
