import Dispatch
import ErrorCodes
import ISO7816
import OneShot

/// A serial executor for blocking pcsc-lite calls: they run on a GCD thread, never on the Swift
/// cooperative pool, and one context is never used from two threads at once.
///
/// A caller waits at most its timeout: a call that takes longer (another program holds the card
/// in `SCardBeginTransaction`, a card or driver that hangs) answers ``PCSCTimeout`` while the
/// call itself finishes on the queue later and is handed to `late`.
final class PCSCQueue: Sendable {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label, qos: .userInitiated)
    }

    /// Runs `body` on the queue and waits for it without a bound (calls that cannot hang).
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try body() })
            }
        }
    }

    /// Runs `body` on the queue and waits for it at most `timeout`; then throws `expired`, and
    /// the result that comes later goes to `late` (on the queue, before anything queued after).
    func run<T: Sendable>(
        timeout: Duration, expired: @escaping @Sendable () -> any Error,
        late: @escaping @Sendable (Result<T, any Error>) -> Void = { _ in },
        _ body: @escaping @Sendable () throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let answer = FirstAnswer(continuation)
            queue.async {
                let result = Result { try body() }
                if !answer.give(result) { late(result) }
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout.timeInterval) {
                answer.give(.failure(expired()))
            }
        }
    }
}

/// A PC/SC call that did not answer in time.
public struct PCSCTimeout: CodedError, Equatable {
    /// `card_busy` (another program holds the card) or `timeout` (the card or driver hangs).
    public let code: ErrorCode
    public let message: String

    public static func busy(_ timeout: Duration) -> PCSCTimeout {
        PCSCTimeout(
            code: .cardBusy,
            message: "another program has held the card for more than \(timeout.timeInterval) s; try again")
    }

    public static func hung(_ operation: String, _ timeout: Duration) -> PCSCTimeout {
        PCSCTimeout(code: .timeout, message: "\(operation) did not answer within \(timeout.timeInterval) s")
    }
}

extension Duration {
    /// Seconds as a `Double`.
    var timeInterval: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
