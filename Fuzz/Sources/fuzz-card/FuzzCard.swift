import ErrorCodes
import FuzzSupport
import ISO7816
import MyNumberCard
import Synchronization

/// The card layer on a hostile or broken card: every response APDU comes from the input, so
/// status words, lengths, DER headers, T=0 procedure bytes and truncated answers are all the
/// fuzzer's. Input: one byte of options (bits 0-2 the operation, 3-4 extended-length support,
/// 5 short file identifiers, 6 confirmFinalAttempt), then responses as `n` and n bytes (`FF hi lo`
/// for a longer one). When they run out the card is gone.
///
/// Invariants: no trap or hang whatever the card answers; a VERIFY that carries a PIN is sent at
/// most once per operation, only inside a transaction that ends with a card reset, and only right
/// after an empty VERIFY whose answer allowed it (tries left above the final one unless
/// confirmed, or `90 00`); transactions are balanced.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCard(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    guard let options = input.first else { return 0 }
    let transport = ScriptedTransport(
        responses: splitResponses(input.dropFirst()),
        extendedLength: [.supported, .unsupported, .unknown, .unknown][Int(options >> 3) & 3])
    let card = MyNumberCard(
        transport: transport,
        options: MyNumberCard.Options(useShortFileIdentifiers: options & 0x20 != 0))
    let confirm = options & 0x40 != 0
    let operation = options & 7
    runBlocking {
        do {
            switch operation {
            case 0: _ = try await card.readSummary()
            case 1: _ = try await card.detect()
            case 2: _ = try await card.pinStatuses()
            case 3: _ = try await card.readCertificate(.auth)
            case 4: try await card.verify(try PIN("1234", for: .auth), confirmFinalAttempt: confirm)
            case 5:
                _ = try await card.sign(
                    DigestInfo(algorithm: .sha256, hashing: [0x6A, 0x70]), with: .auth,
                    pin: try PIN("1234", for: .auth), confirmFinalAttempt: confirm, readingCertificate: true)
            case 6:
                _ = try await card.readSignCertificate(pin: try PIN("ABC123", for: .sign), confirmFinalAttempt: confirm)
            default: try await card.verify(try PIN("ABC123", for: .sign), confirmFinalAttempt: confirm)
            }
        } catch {
            // Any error value is fine; the checks are on what reached the card.
        }
    }
    transport.check(confirm: confirm)
    return 0
}

private func splitResponses(_ bytes: ArraySlice<UInt8>) -> [[UInt8]] {
    var responses: [[UInt8]] = []
    var rest = bytes
    while let n = rest.popFirst() {
        var length = Int(n)
        if n == 0xFF {
            guard rest.count >= 2 else { break }
            length = Int(rest.removeFirst()) << 8 | Int(rest.removeFirst())
        }
        responses.append(Array(rest.prefix(length)))
        rest = rest.dropFirst(length)
    }
    return responses
}

/// A card whose answers are the input's, which records what it was sent.
final class ScriptedTransport: CardTransport {
    struct Exchange {
        let command: CommandAPDU
        let answer: [UInt8]?
        /// The ending of the innermost transaction around it, nil outside one.
        let transaction: TransactionEnd?
    }
    private struct State {
        var responses: [[UInt8]]
        var next = 0
        var log: [Exchange] = []
        var transactions: [TransactionEnd] = []
    }
    private let state: Mutex<State>
    let extendedLength: ExtendedLengthSupport

    init(responses: [[UInt8]], extendedLength: ExtendedLengthSupport) {
        state = Mutex(State(responses: responses))
        self.extendedLength = extendedLength
    }

    struct Gone: CodedError {
        var code: ErrorCode { .cardRemoved }
        var message: String { "the scripted card has no more answers" }
    }

    func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU {
        let answer = state.withLock { s -> [UInt8]? in
            let answer = s.next < s.responses.count ? s.responses[s.next] : nil
            s.next += 1
            s.log.append(Exchange(command: command, answer: answer, transaction: s.transactions.last))
            return answer
        }
        guard let answer else { throw Gone() }
        return try ResponseAPDU(bytes: answer)
    }

    func powerCycle() async throws {}
    func forgetPowerCycle() {}

    func withTransaction<T: Sendable>(ending: TransactionEnd, _ body: @Sendable () async throws -> T)
        async throws -> T
    {
        state.withLock { $0.transactions.append(ending) }
        defer { state.withLock { _ = $0.transactions.popLast() } }
        return try await body()
    }

    func check(confirm: Bool) {
        let (log, open) = state.withLock { ($0.log, $0.transactions.count) }
        require(open == 0, "\(open) transaction(s) left open")
        let verifies = log.indices.filter { log[$0].command.ins == 0x20 && !log[$0].command.data.isEmpty }
        require(verifies.count <= 1, "\(verifies.count) VERIFYs with a PIN in one operation")
        guard let index = verifies.first else { return }
        require(log[index].transaction == .unpowerCard, "a PIN sent outside a transaction ending with a power cycle")
        // Before it: the empty VERIFY of the same PIN (and GET RESPONSEs that completed it).
        guard
            let status = log[..<index].lastIndex(where: { $0.command.ins != 0xC0 }),
            log[status].command.ins == 0x20, log[status].command.data.isEmpty,
            log[status].command.p2 == log[index].command.p2,
            let answer = log[index - 1].answer, answer.count >= 2
        else {
            require(false, "a PIN sent without reading its counter first")
            return
        }
        let sw = (answer[answer.count - 2], answer[answer.count - 1])
        let allowed =
            sw == (0x90, 0x00) || (sw.0 == 0x63 && sw.1 & 0xF0 == 0xC0 && Int(sw.1 & 0x0F) >= (confirm ? 1 : 2))
        require(allowed, "a PIN sent after the counter answered \(answer.suffix(2).hexString)")
    }
}

@main
enum CardFuzzer {
    static func main() { runFuzzer(fuzzCard) }
}
