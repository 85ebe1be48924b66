/// jpkid's Prometheus metrics: names, help text and histogram buckets (the names agreed with the
/// alert rules and the dashboard in deploy/prometheus; docs/openapi.yaml describes them too).
///
/// No label ever carries a card identity (`cardId`), a certificate serial, a reader's name or
/// serial number: labels are PIN kinds, keys, result codes, route templates, methods and statuses.
enum MetricName: String, CaseIterable, Sendable {
    case cardsInserted = "jpkid_cards_inserted_total"
    case cardReads = "jpkid_card_reads_total"
    case cardReadDuration = "jpkid_card_read_duration_seconds"
    case apdusSent = "jpkid_apdus_sent_total"
    case pinVerifications = "jpkid_pin_verifications_total"
    case pinBlocks = "jpkid_pin_blocks_total"
    case signatures = "jpkid_signatures_total"
    case readersPresent = "jpkid_readers_present"
    case pcscAvailable = "jpkid_pcsc_available"
    case pcscOutages = "jpkid_pcsc_outages_total"
    case httpRequests = "jpkid_http_requests_total"
    case httpRequestDuration = "jpkid_http_request_duration_seconds"
    case eventStreamsOpen = "jpkid_event_streams_open"
    case genuineChecks = "jpkid_genuine_checks_total"
    case powerCycleChecks = "jpkid_power_cycle_checks_total"
    case readersUnsafe = "jpkid_readers_unsafe"
    case connectionsRefused = "jpkid_connections_refused_total"

    /// The `# HELP` line. Each name has exactly one (the registry insists on it).
    var help: String {
        switch self {
        case .cardsInserted: "Cards placed on a reader."
        case .cardReads: "Card reads (on insertion and refresh) by result: ok or the stable error code."
        case .cardReadDuration: "Time to connect to and read a card, in seconds."
        case .apdusSent: "Command APDUs jpkid sent to cards."
        case .pinVerifications:
            "PIN verifications by PIN kind and result (verified, wrong_pin, blocked, format, final_attempt_refused). "
                + "pin=juki is the common card application's 001C PIN, pin=juki-ap the JUKI application's."
        case .pinBlocks:
            "PINs blocked by a wrong PIN sent through jpkid, by PIN kind "
                + "(juki: common card application; juki-ap: JUKI application)."
        case .signatures: "Signatures made by a card and handed out, by key (auth, sign)."
        case .readersPresent: "Card readers jpkid sees now."
        case .pcscAvailable: "1 while pcscd answers, 0 while it is unavailable."
        case .pcscOutages: "Times pcscd became unavailable."
        case .httpRequests: "API requests by route template, method and status."
        case .httpRequestDuration: "Time to answer an API request, in seconds, by route template and method."
        case .eventStreamsOpen: "Event streams (GET /v1/events) open now."
        case .genuineChecks:
            "IC-chip checks by check (card-face, card-text, age) and verdict (genuine, forged, key_mismatch, unknown_issuer, not_checked)."
        case .powerCycleChecks:
            "Checks after the power cycle ending a PIN session, by result (closed, state_kept, not_checked)."
        case .readersUnsafe: "Readers marked unsafe now: they do not power the card down (PIN operations refused)."
        case .connectionsRefused:
            "Connections and event streams refused by the limits, by reason "
                + "(table_full, user_cap, reserved_for_operators, event_streams)."
        }
    }

    /// Histogram buckets: card reads take tens of milliseconds to seconds (a contactless read
    /// of all certificates), API answers from the cache well under a millisecond.
    var buckets: [Duration] {
        switch self {
        case .cardReadDuration:
            [50, 100, 250, 500, 1000, 2000, 3000, 5000, 10_000].map { .milliseconds($0) }
        default:
            [
                500, 1000, 2500, 5000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000,
                5_000_000, 10_000_000,
            ].map {
                .microseconds($0)
            }
        }
    }
}
