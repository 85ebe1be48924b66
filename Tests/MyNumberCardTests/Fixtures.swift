import CardSimulator
import Foundation
import ISO7816
import Synchronization

@testable import MyNumberCard

/// Card images built once per test process (RSA key generation is the slow part), and a fresh
/// simulated card from one for each test.
enum Fixtures {
    private static let images = Mutex<[String: CardImage]>([:])

    static func image(_ scenario: String = "default", configure: (inout Scenario) -> Void = { _ in }) throws
        -> CardImage
    {
        var s = try Scenario.preset(named: scenario)
        configure(&s)
        let key = scenario + String(describing: s)
        if let cached = images.withLock({ $0[key] }) { return cached }
        let image = try CardBuilder.build(s)
        images.withLock { $0[key] = image }
        return image
    }

    static func card(_ scenario: String = "default", configure: (inout Scenario) -> Void = { _ in }) throws
        -> (SimulatedCard, MyNumberCard)
    {
        let sim = try SimulatedCard(image: image(scenario, configure: configure))
        return (sim, MyNumberCard(transport: SimulatedCardTransport(card: sim)))
    }

    static func pin(_ value: String, _ kind: PINKind) throws -> PIN { try PIN(value, for: kind) }
}

/// Wraps a transport and rewrites or records commands.
final class InterceptingTransport: CardTransport {
    let inner: any CardTransport
    private let sentLog = Mutex<[CommandAPDU]>([])
    private let override: @Sendable (CommandAPDU) -> [UInt8]?

    init(_ inner: any CardTransport, override: @escaping @Sendable (CommandAPDU) -> [UInt8]? = { _ in nil }) {
        self.inner = inner
        self.override = override
    }

    var sent: [CommandAPDU] { sentLog.withLock { $0 } }

    func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU {
        sentLog.withLock { $0.append(command) }
        if let bytes = override(command) { return try ResponseAPDU(bytes: bytes) }
        return try await inner.transmit(command)
    }

    var extendedLength: ExtendedLengthSupport { inner.extendedLength }

    private let endingLog = Mutex<[TransactionEnd]>([])
    /// How each transaction was ended, in order.
    var endings: [TransactionEnd] { endingLog.withLock { $0 } }

    func withTransaction<T: Sendable>(ending: TransactionEnd, _ body: @Sendable () async throws -> T)
        async throws -> T
    {
        defer { endingLog.withLock { $0.append(ending) } }
        return try await inner.withTransaction(ending: ending, body)
    }

    private let powerCycleLog = Mutex(0)
    /// How many times the card was power-cycled inside a transaction.
    var powerCycles: Int { powerCycleLog.withLock { $0 } }

    func powerCycle() async throws {
        powerCycleLog.withLock { $0 += 1 }
        try await inner.powerCycle()
    }

    private let forgetLog = Mutex(0)
    /// How many times the transaction was told to end with a power-down after all.
    var forgottenPowerCycles: Int { forgetLog.withLock { $0 } }

    func forgetPowerCycle() {
        forgetLog.withLock { $0 += 1 }
        inner.forgetPowerCycle()
    }
}

extension MyNumberCard {
    /// ``verify(_:confirmFinalAttempt:)`` with its outcome as a value, for tests; the final try
    /// is confirmed unless told otherwise.
    func verifyOutcome(_ pin: PIN, confirmFinalAttempt: Bool = true) async throws -> VerifyOutcome {
        do {
            try await verify(pin, confirmFinalAttempt: confirmFinalAttempt)
            return .verified
        } catch CardError.wrongPIN(_, let left) {
            return .wrongPIN(triesLeft: left)
        } catch CardError.pinBlocked {
            return .blocked
        }
    }
}
