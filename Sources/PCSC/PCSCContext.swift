import CPCSCLite
import ISO7816
import Synchronization

/// A pcsc-lite context (`SCardEstablishContext`) with its own serial queue.
///
/// Every call on this context and on the cards connected through it runs on that queue, one at a
/// time. Use one context per reader session and a separate one for the ``ReaderMonitor``.
public final class PCSCContext: Sendable {
    let handle: SCARDCONTEXT
    let queue: PCSCQueue
    private let released = Atomic<Bool>(false)

    private init(handle: SCARDCONTEXT, queue: PCSCQueue) {
        self.handle = handle
        self.queue = queue
    }

    /// Connects to pcscd. Throws `no_service` when it is not running.
    public static func establish() async throws -> PCSCContext {
        let queue = PCSCQueue(label: "jpkid.pcsc.context")
        let handle = try await queue.run { try establishBlocking() }
        return PCSCContext(handle: handle, queue: queue)
    }

    static func establishBlocking() throws -> SCARDCONTEXT {
        var context: SCARDCONTEXT = 0
        try PCSCError.check(
            SCardEstablishContext(DWORD(SCARD_SCOPE_SYSTEM), nil, nil, &context), "SCardEstablishContext")
        return context
    }

    deinit {
        if !released.load(ordering: .relaxed) { SCardReleaseContext(handle) }
    }

    /// Releases the context; later calls fail with `invalid_handle`.
    public func release() async {
        guard !released.exchange(true, ordering: .relaxed) else { return }
        let handle = self.handle
        _ = try? await queue.run { SCardReleaseContext(handle) }
    }

    /// Whether pcscd still knows this context.
    public func isValid() async -> Bool {
        let handle = self.handle
        return (try? await queue.run { SCardIsValidContext(handle) == SCARD_S_SUCCESS }) ?? false
    }

    /// The names of the connected readers; empty when there are none.
    public func listReaders() async throws -> [String] {
        let handle = self.handle
        return try await queue.run { try Self.listReadersBlocking(handle) }
    }

    static func listReadersBlocking(_ context: SCARDCONTEXT) throws -> [String] {
        var length: DWORD = 0
        var status = SCardListReaders(context, nil, nil, &length)
        if status == SCARD_E_NO_READERS_AVAILABLE { return [] }
        try PCSCError.check(status, "SCardListReaders")
        var buffer = [CChar](repeating: 0, count: Int(length))
        status = SCardListReaders(context, nil, &buffer, &length)
        if status == SCARD_E_NO_READERS_AVAILABLE { return [] }
        try PCSCError.check(status, "SCardListReaders")
        // A multi-string: names separated by NUL, ended by an empty name.
        return buffer.split(separator: 0, omittingEmptySubsequences: true).map {
            String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// Connects to the card in `reader` in shared mode with T=0 or T=1; no call on the card
    /// keeps its caller waiting longer than `timeout`.
    public func connect(
        reader: String, protocols: PCSCProtocol.Set = [.t0, .t1], timeout: Duration = .seconds(10)
    ) async throws -> PCSCCard {
        let handle = self.handle
        struct Connected: Sendable {
            let card: SCARDHANDLE
            let active: DWORD
            let extended: ExtendedLengthSupport
        }
        let late: @Sendable (Result<Connected, any Error>) -> Void = { result in
            // The caller has given up: let the card go.
            if case .success(let connected) = result { SCardDisconnect(connected.card, DWORD(SCARD_LEAVE_CARD)) }
        }
        let connected: Connected = try await queue.run(
            timeout: timeout, expired: { PCSCTimeout.hung("SCardConnect", timeout) }, late: late
        ) { () throws -> Connected in
            var card: SCARDHANDLE = 0
            var active: DWORD = 0
            try PCSCError.check(
                SCardConnect(handle, reader, DWORD(SCARD_SHARE_SHARED), protocols.rawValue, &card, &active),
                "SCardConnect")
            return Connected(card: card, active: active, extended: PCSCCard.extendedLength(of: card))
        }
        let (card, active, extended) = (connected.card, connected.active, connected.extended)
        return PCSCCard(
            context: self, handle: card, reader: reader, protocol: PCSCProtocol(rawValue: active),
            extendedLength: extended, timeout: timeout)
    }
}

/// The transmission protocol negotiated with a card.
public enum PCSCProtocol: Sendable, Equatable {
    case t0
    case t1
    case raw
    case undefined

    init(rawValue: DWORD) {
        switch rawValue {
        case DWORD(SCARD_PROTOCOL_T0): self = .t0
        case DWORD(SCARD_PROTOCOL_T1): self = .t1
        case DWORD(SCARD_PROTOCOL_RAW): self = .raw
        default: self = .undefined
        }
    }

    /// The protocols a connection may accept.
    public struct Set: OptionSet, Sendable {
        public let rawValue: DWORD
        public init(rawValue: DWORD) { self.rawValue = rawValue }
        public static let t0 = Set(rawValue: DWORD(SCARD_PROTOCOL_T0))
        public static let t1 = Set(rawValue: DWORD(SCARD_PROTOCOL_T1))
    }
}
