import JPKIAPI
import MyNumberCard

extension ReaderSession {
    /// The card on the reader as one value: every field of an insertion (its `cardId`, ATR,
    /// connection, what was read, the last error) changes in one assignment, so the view posted
    /// after it never mixes two cards, and a state that cannot happen cannot be written.
    enum CardState {
        /// No card, or the read found it gone before the monitor said so.
        case empty
        /// A card whose read runs and has nothing to show yet; `lastError` is that of a read
        /// before (a refresh after a failed read).
        case reading(Insertion, lastError: ErrorDetail?)
        /// A card that was read (ready, or not a card jpkid supports); a re-read keeps serving it.
        case read(Insertion, Snapshot)
        /// The last read failed; what an earlier read found is still shown.
        case failed(Insertion, ErrorDetail, Snapshot?)

        /// The state the API shows.
        var readerState: ReaderState {
            switch self {
            case .empty: .empty
            case .reading: .reading
            case .read(_, let snapshot): snapshot.summary.kind.isSupported ? .ready : .unsupportedCard
            case .failed: .error
            }
        }

        var insertion: Insertion? {
            switch self {
            case .empty: nil
            case .reading(let insertion, _), .read(let insertion, _), .failed(let insertion, _, _): insertion
            }
        }

        var snapshot: Snapshot? {
            switch self {
            case .empty, .reading: nil
            case .read(_, let snapshot): snapshot
            case .failed(_, _, let snapshot): snapshot
            }
        }

        var lastError: ErrorDetail? {
            switch self {
            case .empty, .read: nil
            case .reading(_, let error): error
            case .failed(_, let error, _): error
            }
        }

        /// The card of the current insertion, once its connection is open.
        var card: MyNumberCard? { insertion?.link?.card }

        /// Changes the insertion in place (nothing when there is none).
        mutating func updateInsertion(_ body: (inout Insertion) -> Void) {
            switch self {
            case .empty: break
            case .reading(var insertion, let error):
                body(&insertion)
                self = .reading(insertion, lastError: error)
            case .read(var insertion, let snapshot):
                body(&insertion)
                self = .read(insertion, snapshot)
            case .failed(var insertion, let error, let snapshot):
                body(&insertion)
                self = .failed(insertion, error, snapshot)
            }
        }

        /// Changes what was read in place (nothing when nothing was).
        mutating func updateSnapshot(_ body: (inout Snapshot) -> Void) {
            switch self {
            case .read(let insertion, var snapshot):
                body(&snapshot)
                self = .read(insertion, snapshot)
            case .failed(let insertion, let error, var snapshot?):
                body(&snapshot)
                self = .failed(insertion, error, snapshot)
            case .empty, .reading, .failed(_, _, nil):
                break
            }
        }
    }

    /// One card's stay on the reader.
    struct Insertion {
        /// The insertion's opaque id: random, never derived from card data.
        let cardId: String
        let atr: [UInt8]
        /// The connection, once it is open.
        var link: Link?
    }

    /// An open connection and the card layer over it.
    struct Link {
        let connection: any CardConnection
        let card: MyNumberCard
    }
}
