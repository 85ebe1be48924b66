import Dispatch

/// A serial executor for blocking pcsc-lite calls: they run on a GCD thread, never on the Swift
/// cooperative pool, and one context is never used from two threads at once.
final class PCSCQueue: Sendable {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label, qos: .userInitiated)
    }

    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try body() })
            }
        }
    }
}
