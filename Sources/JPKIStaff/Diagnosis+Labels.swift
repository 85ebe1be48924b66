import JPKIAPI

/// Words for the API's codes, so Japanese views show no English tokens: card kinds,
/// certificate statuses, trust results and PIN states. Shared by `diagnose`, `status` and the
/// staff page.
extension Diagnosis {
    /// The PINs in the order staff read them: the known kinds first, then any others by name.
    public static func orderedPINKinds(_ kinds: some Collection<PINView.Kind>) -> [PINView.Kind] {
        let known = PINView.Kind.displayOrder
        return known.filter(kinds.contains) + kinds.filter { !known.contains($0) }.sorted { $0.rawValue < $1.rawValue }
    }

    /// The certificates in display order: the citizen's own first, then the CA certificates.
    public static func orderedCertificateSlots(
        _ slots: some Collection<CertificateView.Slot>
    ) -> [CertificateView.Slot] {
        let known = CertificateView.Slot.displayOrder
        return known.filter(slots.contains) + slots.filter { !known.contains($0) }.sorted { $0.rawValue < $1.rawValue }
    }

    /// A PIN's name; a kind this version does not know gets a generic label.
    public func pinLabel(_ kind: PINView.Kind) -> String {
        let name = pinName(kind)
        return name == kind.rawValue ? t("その他の暗証番号", "other PIN (\(kind))") : name
    }

    /// A certificate's name; an unknown slot gets a generic label.
    public func certificateLabel(_ slot: CertificateView.Slot) -> String {
        let name = certificateName(slot)
        return name == slot.rawValue ? t("その他の電子証明書", "other certificate (\(slot))") : name
    }

    public func cardKindName(_ kind: CardView.Kind) -> String {
        switch kind {
        case .myNumberCard: t("マイナンバーカード", "My Number card")
        case .jukiCard: t("住民基本台帳カード", "basic resident register card")
        case .otherJPKIToken: t("その他の公的個人認証カード", "other JPKI token")
        case .nonJPKICard: t("公的個人認証に対応していないカード", "a card without JPKI")
        case .noJPKIApplication: t("公的個人認証の機能がないカード", "a card with no JPKI application")
        case .unknown: t("読み取り中", "being read")
        default: t("不明なカード", "unknown card (\(kind))")
        }
    }

    public func certificateStatusName(_ status: CertificateView.Status) -> String {
        switch status {
        case .valid: t("有効", "valid")
        case .renewable: t("更新期間中", "renewable now")
        case .expired: t("有効期限切れ", "expired")
        case .notYetValid: t("有効期間前", "not yet valid")
        default: t("不明", "unknown (\(status))")
        }
    }

    /// The trust result in words; nil when the daemon did not say.
    public func trustName(_ code: CertificateView.Trust?) -> String? {
        guard let code else { return nil }
        return switch code {
        case .trusted: t("信頼できる認証局の発行（確認済み）", "issued by a trusted CA (checked)")
        case .notChecked: t("未確認（トラストアンカー未設定）", "not checked (no trust anchors)")
        case .expired: t("有効期限切れ", "expired")
        case .notYetValid: t("有効期間前", "not yet valid")
        default: trustProblem(code) ?? t("不明", "unknown (\(code))")
        }
    }

    /// A PIN's state in words: not set, blocked, or tries left.
    public func pinStateName(_ pin: PINView) -> String {
        if !pin.available { return t("未設定", "not set") }
        // PIN A and PIN B: the card does not report a maximum.
        guard let max = pin.max else {
            if pin.blocked { return t("ロック中", "BLOCKED") }
            guard let remaining = pin.remaining else { return t("不明", "unknown") }
            return t("残り\(remaining)回", "\(remaining) tries left")
        }
        if pin.blocked { return t("ロック中（0/\(max)）", "BLOCKED (0/\(max))") }
        guard let remaining = pin.remaining else { return t("不明", "unknown") }
        return t("残り\(remaining)回（\(remaining)/\(max)）", "\(remaining) of \(max) tries left")
    }
}
