import ISO7816
import PCSC

/// An open connection to one card.
public protocol CardConnection: Sendable {
    var transport: any CardTransport { get }
    func close() async
}

/// Where readers and cards come from: pcscd in the daemon; a simulated card in tests.
public protocol CardSource: Sendable {
    /// Reader and card events, until the consuming task is cancelled.
    func events() -> AsyncStream<ReaderEvent>
    func connect(reader: String) async throws -> any CardConnection
    /// Beats while the source's event loop runs; nil when it has none to watch.
    var heartbeat: Heartbeat? { get }
}
