import ErrorCodes
import FoundationEssentials
import JPKIAPI

/// What the staff page shows: the readers, their cards' PINs and certificates in words, and
/// the findings of the same rules `jpkictl diagnose` uses. No serials, no fingerprints, no
/// subjects, no ATR, no personal data: only states and next steps.
public struct StaffView: Codable, Sendable, Equatable {
    public var language: String
    public var readers: [Reader]
    /// Why nothing can be shown (jpkid unreachable, no reader).
    public var problem: StaffMessage?

    public struct Reader: Codable, Sendable, Equatable {
        public var id: String
        public var name: String
        public var state: String
        public var stateLabel: String
        public var problem: StaffMessage?
        public var card: Card?
    }

    public struct Card: Codable, Sendable, Equatable {
        public var cardId: String
        public var kind: String
        public var kindLabel: String
        public var pins: [PIN]
        public var certificates: [Certificate]
        public var findings: [Finding]
    }

    public struct PIN: Codable, Sendable, Equatable {
        public var kind: String
        public var name: String
        public var remaining: Int?
        /// Nil for PIN A/B: the card does not report a maximum.
        public var max: Int?
        public var blocked: Bool
        public var available: Bool
        public var stateLabel: String
    }

    public struct Certificate: Codable, Sendable, Equatable {
        public var slot: String
        public var name: String
        public var isCA: Bool
        public var expiryDate: String
        /// Absent for CA certificates: citizens never renew them.
        public var renewableFrom: String?
        public var status: CertificateView.Status
        public var statusLabel: String
        public var daysUntilExpiry: Int
        public var trust: CertificateView.Trust?
        public var trustLabel: String?
    }

    public struct Finding: Codable, Sendable, Equatable {
        public var severity: String
        public var summary: String
        public var actions: [String]
    }

    public init(language: String, readers: [Reader], problem: StaffMessage?) {
        self.language = language
        self.readers = readers
        self.problem = problem
    }

    /// The page's view of jpkid's reader list.
    public init(_ list: ReaderList, diagnosis: Diagnosis, now: Date = Date()) {
        language = diagnosis.language == .japanese ? "ja" : "en"
        readers = list.readers.map { Self.reader($0, diagnosis, now) }
        problem = list.readers.isEmpty ? diagnosis.staffMessage(.noReader) : nil
    }

    /// The page's view when jpkid cannot be asked.
    public static func unreachable(_ diagnosis: Diagnosis) -> StaffView {
        StaffView(
            language: diagnosis.language == .japanese ? "ja" : "en", readers: [],
            problem: diagnosis.staffMessage(.jpkidUnreachable))
    }

    static func reader(_ reader: ReaderView, _ d: Diagnosis, _ now: Date) -> Reader {
        let problem: StaffMessage?
        let label: String
        switch reader.state {
        case .empty:
            label = d.t("カードなし", "no card")
            problem = d.staffMessage(.noCard)
        case .reading:
            label = d.t("読み取り中", "reading")
            problem = nil
        case .ready:
            label = d.t("読み取り完了", "ready")
            problem = nil
        case .unsupportedCard:
            label = d.t("対応していないカード", "unsupported card")
            problem = d.staffMessage(.unsupportedCard)
        case .error:
            label = d.t("エラー", "error")
            problem = d.staffMessage(reader.error?.code ?? .internalError)
        }
        return Reader(
            id: reader.id, name: reader.name, state: reader.state.rawValue, stateLabel: label, problem: problem,
            card: reader.card.map { card($0, d, now, readerFindings: d.readerFindings(for: reader)) })
    }

    static func card(_ card: CardView, _ d: Diagnosis, _ now: Date, readerFindings: [JPKIStaff.Finding] = []) -> Card {
        let pins = Diagnosis.orderedPINKinds(card.pins.keys).compactMap { kind -> PIN? in
            guard let pin = card.pins[kind] else { return nil }
            return PIN(
                kind: kind.rawValue, name: d.pinLabel(kind), remaining: pin.remaining, max: pin.max,
                blocked: pin.blocked,
                available: pin.available, stateLabel: d.pinStateName(pin))
        }
        let certificates = Diagnosis.orderedCertificateSlots(card.certificates.keys).compactMap {
            slot -> Certificate? in
            guard let c = card.certificates[slot] else { return nil }
            return Certificate(
                slot: slot.rawValue, name: d.certificateLabel(slot), isCA: slot.isCA, expiryDate: c.expiryDate,
                renewableFrom: slot.isCA ? nil : c.renewableFrom, status: c.status,
                statusLabel: d.certificateStatusName(c.status), daysUntilExpiry: c.daysUntilExpiry,
                trust: c.trust,
                trustLabel: d.trustName(c.trust))
        }
        let findings = readerFindings + (card.kind == .unknown ? [] : d.findings(for: card, now: now))
        return Card(
            cardId: card.cardId, kind: card.kind.rawValue, kindLabel: d.cardKindName(card.kind), pins: pins,
            certificates: certificates,
            findings: findings.sorted { $0.severity > $1.severity }.map {
                Finding(severity: $0.severity.rawValue, summary: $0.summary, actions: $0.actions)
            })
    }
}
