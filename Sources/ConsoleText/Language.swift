import FoundationEssentials

/// The language of staff-facing messages.
public enum Language: Sendable {
    case japanese, english

    /// Japanese when `LC_ALL`, `LC_MESSAGES` or `LANG` (the first one set) starts with `ja`.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment)
        -> Language
    {
        let locale = ["LC_ALL", "LC_MESSAGES", "LANG"].lazy.compactMap { environment[$0] }.first { !$0.isEmpty }
        return locale?.lowercased().hasPrefix("ja") == true ? .japanese : .english
    }
}

extension Language {
    /// Said where a certificate's trust was not checked because jpkid has no trust anchors
    /// configured: by the staff diagnosis and by jpki-verify alike.
    public var trustNotChecked: String {
        switch self {
        case .japanese: "発行元は未確認です（トラストアンカーが設定されていないため、発行元の認証局は確認していません）"
        case .english: "trust not checked (no trust anchors are configured)"
        }
    }
}
