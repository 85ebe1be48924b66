/// The two status bytes SW1 SW2 that end every response, with their ISO 7816-4 meaning.
public struct StatusWord: Sendable, Hashable, CustomStringConvertible {
    public let sw1: UInt8
    public let sw2: UInt8

    public init(sw1: UInt8, sw2: UInt8) {
        self.sw1 = sw1
        self.sw2 = sw2
    }

    public init(_ value: UInt16) {
        self.init(sw1: UInt8(value >> 8), sw2: UInt8(value & 0xFF))
    }

    public var value: UInt16 { UInt16(sw1) << 8 | UInt16(sw2) }

    public static let success = StatusWord(0x9000)
    public static let endOfFileReached = StatusWord(0x6282)
    public static let wrongLength = StatusWord(0x6700)
    public static let securityStatusNotSatisfied = StatusWord(0x6982)
    public static let authenticationMethodBlocked = StatusWord(0x6983)
    public static let referenceDataNotUsable = StatusWord(0x6984)
    public static let conditionsNotSatisfied = StatusWord(0x6985)
    public static let commandNotAllowed = StatusWord(0x6986)
    public static let incorrectData = StatusWord(0x6A80)
    public static let functionNotSupported = StatusWord(0x6A81)
    public static let fileNotFound = StatusWord(0x6A82)
    public static let incorrectParameters = StatusWord(0x6A86)
    public static let referencedDataNotFound = StatusWord(0x6A88)
    public static let wrongParameters = StatusWord(0x6B00)
    public static let instructionNotSupported = StatusWord(0x6D00)
    public static let classNotSupported = StatusWord(0x6E00)
    public static let noPreciseDiagnosis = StatusWord(0x6F00)

    /// `63 Cx`: verification failed, x tries left.
    public static func verificationFailed(triesLeft: Int) -> StatusWord {
        StatusWord(sw1: 0x63, sw2: 0xC0 | UInt8(min(max(triesLeft, 0), 15)))
    }

    /// `61 xx`: xx more bytes wait for GET RESPONSE (T=0).
    public static func bytesRemaining(_ count: Int) -> StatusWord {
        StatusWord(sw1: 0x61, sw2: UInt8(count & 0xFF))
    }

    /// `6C xx`: wrong Le; xx is the exact length to ask for (T=0).
    public static func wrongLe(exact: Int) -> StatusWord {
        StatusWord(sw1: 0x6C, sw2: UInt8(exact & 0xFF))
    }

    /// The meaning of a status word, as far as this project needs to tell them apart.
    public enum Meaning: Sendable, Equatable {
        case success
        /// `61 xx`; 0 stands for 256.
        case bytesRemaining(Int)
        /// `6C xx`; 0 stands for 256.
        case wrongLe(exact: Int)
        case endOfFileReached
        /// `63 Cx`.
        case verificationFailed(triesLeft: Int)
        case wrongLength
        case securityStatusNotSatisfied
        case authenticationMethodBlocked
        case referenceDataNotUsable
        case conditionsNotSatisfied
        case commandNotAllowed
        case incorrectData
        case functionNotSupported
        case fileNotFound
        case incorrectParameters
        case referencedDataNotFound
        case wrongParameters
        case instructionNotSupported
        case classNotSupported
        case noPreciseDiagnosis
        /// Any other `62 xx` / `63 xx` warning.
        case warning
        /// Any other error.
        case other
    }

    public var meaning: Meaning {
        switch (sw1, sw2) {
        case (0x90, 0x00): .success
        case (0x61, let n): .bytesRemaining(n == 0 ? 256 : Int(n))
        case (0x6C, let n): .wrongLe(exact: n == 0 ? 256 : Int(n))
        case (0x62, 0x82): .endOfFileReached
        case (0x63, let x) where x & 0xF0 == 0xC0: .verificationFailed(triesLeft: Int(x & 0x0F))
        case (0x67, 0x00): .wrongLength
        case (0x69, 0x82): .securityStatusNotSatisfied
        case (0x69, 0x83): .authenticationMethodBlocked
        case (0x69, 0x84): .referenceDataNotUsable
        case (0x69, 0x85): .conditionsNotSatisfied
        case (0x69, 0x86): .commandNotAllowed
        case (0x6A, 0x80): .incorrectData
        case (0x6A, 0x81): .functionNotSupported
        case (0x6A, 0x82): .fileNotFound
        case (0x6A, 0x86): .incorrectParameters
        case (0x6A, 0x88): .referencedDataNotFound
        case (0x6B, 0x00): .wrongParameters
        case (0x6D, 0x00): .instructionNotSupported
        case (0x6E, 0x00): .classNotSupported
        case (0x6F, 0x00): .noPreciseDiagnosis
        case (0x62, _), (0x63, _): .warning
        default: .other
        }
    }

    /// True for `90 00`.
    public var isSuccess: Bool { self == .success }

    public var description: String {
        let hex = [sw1, sw2].hexString
        return "\(hex) (\(explanation))"
    }

    /// A short English explanation.
    public var explanation: String {
        switch meaning {
        case .success: "success"
        case .bytesRemaining(let n): "\(n) byte(s) available with GET RESPONSE"
        case .wrongLe(let n): "wrong Le, exact length is \(n)"
        case .endOfFileReached: "end of file reached before Le bytes"
        case .verificationFailed(let n): "verification failed, \(n) tries left"
        case .wrongLength: "wrong length"
        case .securityStatusNotSatisfied: "security status not satisfied"
        case .authenticationMethodBlocked: "authentication method blocked"
        case .referenceDataNotUsable: "reference data not usable (blocked)"
        case .conditionsNotSatisfied: "conditions of use not satisfied"
        case .commandNotAllowed: "command not allowed, no current EF"
        case .incorrectData: "incorrect parameters in the data field"
        case .functionNotSupported: "function not supported"
        case .fileNotFound: "file or application not found"
        case .incorrectParameters: "incorrect parameters P1-P2"
        case .referencedDataNotFound: "referenced data not found"
        case .wrongParameters: "wrong parameters P1-P2 (offset outside the EF)"
        case .instructionNotSupported: "instruction not supported"
        case .classNotSupported: "class not supported"
        case .noPreciseDiagnosis: "no precise diagnosis"
        case .warning: "warning"
        case .other: "error"
        }
    }
}
