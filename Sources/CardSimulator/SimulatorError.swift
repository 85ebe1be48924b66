import ErrorCodes
import ISO7816

/// The codes of the simulated card and its tools (jpki-sim, the vpcd link). They are the test
/// double's, not the wire's: jpkid, its API and its clients never produce or see them, so they
/// live here and not in the shared set.
extension ErrorCode {
    public static let simInvalidKey = ErrorCode(rawValue: "sim_invalid_key")
    public static let simInvalidScenario = ErrorCode(rawValue: "sim_invalid_scenario")
    public static let simStateFile = ErrorCode(rawValue: "sim_state_file")
    public static let vpcdError = ErrorCode(rawValue: "vpcd_error")
}

/// Errors of the simulated card and its tools.
public enum SimulatorError: CodedError, Equatable {
    case invalidKey
    case invalidScenario(String)
    case stateFile(String)
    case vpcd(String)

    public var code: ErrorCode {
        switch self {
        case .invalidKey: .simInvalidKey
        case .invalidScenario: .simInvalidScenario
        case .stateFile: .simStateFile
        case .vpcd: .vpcdError
        }
    }

    public var message: String {
        switch self {
        case .invalidKey: "a key of the test PKI could not be loaded"
        case .invalidScenario(let why): "invalid scenario: \(why)"
        case .stateFile(let why): "state file: \(why)"
        case .vpcd(let why): "vpcd link: \(why)"
        }
    }
}

/// Transport-level failures of the in-process simulated card.
public enum SimulatedTransportError: CodedError, Equatable {
    /// The simulated card was removed (fault injection or ``SimulatedCard/remove()``).
    case cardRemoved

    public var code: ErrorCode { .cardRemoved }
    public var message: String { "the card was removed from the reader" }
}
