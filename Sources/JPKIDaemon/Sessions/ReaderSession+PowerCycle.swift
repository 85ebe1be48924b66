import ErrorCodes
import FoundationEssentials
import JPKIAPI
import Logging
import MyNumberCard
import Synchronization

/// The verdict on the reader after each PIN session's power cycle (reference section 11).
///
/// The card layer power-cycles the card at the end of every transaction that sent a PIN and
/// checks, with APDUs that spend nothing, that the PIN is closed again (``PowerCycleCheck``).
/// When it is not, the reader does not really power the card down: the operation still answers
/// the card's own result, marked `readerUnsafe`, and this reader is marked unsafe (a field of
/// its own in the view, not a state), with an event, a metric and a log line. Every later PIN
/// operation on it is refused with `reader_unsafe` before anything reaches the card, until the
/// reader is unplugged (its session goes) or jpkid restarts.
extension ReaderSession {
    /// Acts on the check after a PIN session; true when it found the reader unsafe.
    @discardableResult
    func powerCycleChecked(_ check: PowerCycleCheck?, kind: PINKind) -> Bool {
        guard let check else { return false }
        metrics.powerCycleChecked(check)
        switch check {
        case .closed:
            return false
        case .notChecked(let why):
            logger.notice(
                "power cycle not checked", metadata: ["pin": "\(kind.rawValue)", "why": "\(why)"])
            return false
        case .stateKept(let reason):
            OperationReport.current?.markReaderUnsafe()
            markUnsafe(reason)
            return true
        }
    }

    private func markUnsafe(_ reason: String) {
        guard unsafe == nil else { return }
        setUnsafe(ReaderUnsafeView(reason: reason, since: Date()))
        metrics.readersUnsafe(board.count { $0.unsafe != nil })
        events.publish(EventView(type: "reader-unsafe", reader: id, readerName: name))
        logger.critical(
            "reader does not power the card down: PIN operations on it are refused until it is unplugged or jpkid restarts",
            metadata: ["reason": "\(reason)"])
    }

    /// After `outcome_unknown`: reads the counter once the card can be reached again and tells it
    /// in a `pin-counter` event (no try spent: the empty VERIFY).
    ///
    /// The operation that lost its answer may hold the PIN lock, and a hung transmit the card's
    /// queue, for longer than one card timeout. So this waits for the lock with no deadline of its
    /// own, then reads within one card timeout, and tries again while the card stays busy: all
    /// in all for at most ``followCounterBound`` card timeouts, and never for another insertion.
    func followCounter(_ kind: PINKind, card: MyNumberCard, insertion: Int) {
        let bound = cardTimeout * Self.followCounterBound
        let follower = Task {
            let deadline = ContinuousClock.now + bound
            while !Task.isCancelled, insertion == self.generation, ContinuousClock.now < deadline {
                // Cancelled by the watchdog below or by a removal: then it stops waiting.
                guard (try? await self.pinOperations.lock()) != nil else { return }
                // The wait for the lock may outlast the insertion: no read of another card's counter.
                guard insertion == self.generation else { return self.pinOperations.unlock() }
                let status = try? await self.bounded { try await card.pinStatus(kind) }
                self.pinOperations.unlock()
                if let status {
                    self.publishCounter(status, insertion: insertion)
                    return
                }
                try? await Task.sleep(for: self.cardTimeout / 4)
            }
        }
        // A newer outcome_unknown replaces the follower: one at a time takes the PIN lock.
        counterFollower?.cancel()
        counterFollower = follower
        Task {
            try? await Task.sleep(for: bound)
            follower.cancel()
        }
    }

    /// How many card timeouts the counter is followed after `outcome_unknown` at most.
    static let followCounterBound = 6

    private func publishCounter(_ status: PINStatus, insertion: Int) {
        guard insertion == generation else { return }
        record(status, insertion: insertion)
        events.publish(
            EventView(
                type: "pin-counter", reader: id, pin: status.kind.rawValue, remaining: status.remaining,
                cardId: view().card?.cardId))
    }
}

/// The atomic decision between "the PIN goes out" and "the caller gave up" (``PINDispatch``).
final class DispatchGate: Sendable {
    private enum State { case open, committed, abandoned }
    private let state = Mutex(State.open)

    /// The PIN may go out unless the caller has given up; after this, the caller waits.
    func commit() -> Bool {
        state.withLock { s in
            if s == .abandoned { return false }
            s = .committed
            return true
        }
    }

    /// The caller gives up unless a PIN is already out; false: wait for the card's answer.
    func abandon() -> Bool {
        state.withLock { s in
            if s == .committed { return false }
            s = .abandoned
            return true
        }
    }
}
