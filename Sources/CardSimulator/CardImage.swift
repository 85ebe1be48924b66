import Foundation

/// Everything a simulated card holds: its ATR and, per application, files, PINs and keys.
///
/// It is what the persistent state file stores, so a sequence of runs shares one card. PINs are
/// kept as salted SHA-256 digests, never as their values.
public struct CardImage: Codable, Sendable, Equatable {
    public var atr: Data
    public var applications: [Application]
    /// How the card answers where real cards and ISO 7816-4 allow more than one way; nil (state
    /// files written before it existed) means the defaults.
    public var behaviour: Behaviour?

    /// Answers that differ between cards and readers.
    public struct Behaviour: Codable, Sendable, Equatable {
        /// Whether an empty VERIFY answers `90 00` while its PIN is verified (ISO 7816-4 style).
        /// Real JPKI cards never do: they answer `63 Cx` (false, the default).
        public var emptyVerifyAnswersSuccessWhenVerified = false
        /// Whether extended-length APDUs reach the card; false answers each with `67 00`, as a
        /// reader or card that cannot carry them does.
        public var extendedLength = true
        /// Whether the empty VERIFY on a blocked key answers `69 84`; real cards answer `63 C0`
        /// (nil or false, the default). A VERIFY with data on a blocked key answers `69 84` either
        /// way. Optional, so that state files written before it still load.
        public var blockedEmptyVerifyAnswers6984: Bool? = nil

        public init() {}
    }

    public init(atr: Data, applications: [Application], behaviour: Behaviour? = nil) {
        self.atr = atr
        self.applications = applications
        self.behaviour = behaviour
    }

    public struct Application: Codable, Sendable, Equatable {
        public var name: String
        public var aid: Data
        public var files: [File]
        public var pins: [PINRecord]
        public var keys: [Key]
        /// The AP's default key (`80 2A 00 00`, P2 `00`): the chip's own key in the card-face and
        /// card-text APs that signs a challenge (reference 13.2); nil elsewhere.
        public var defaultKey: Key? = nil
    }

    public struct File: Codable, Sendable, Equatable {
        public var fid: UInt16
        public var content: Data
        /// The PIN EF that must be verified before reading, or nil when the file is free.
        public var readPIN: UInt16?
        /// Other PIN EFs whose verification also allows reading (the card-face AP's PIN A or B).
        public var readPINAlternatives: [UInt16]? = nil
    }

    public struct PINRecord: Codable, Sendable, Equatable {
        public var fid: UInt16
        public var salt: Data
        public var digest: Data
        public var maxTries: Int
        public var remaining: Int
    }

    public struct Key: Codable, Sendable, Equatable {
        public var fid: UInt16
        /// The PIN EF whose verification allows signing.
        public var pinFID: UInt16
        /// PKCS#1 DER of the RSA private key.
        public var der: Data
    }

    /// The content of file `fid` in the application named `application`.
    public func file(_ fid: UInt16, in application: String = "jpki") -> Data? {
        applications.first { $0.name == application }?.files.first { $0.fid == fid }?.content
    }

    /// The remaining tries of PIN `fid` in `application`.
    public func remainingTries(_ fid: UInt16, in application: String) -> Int? {
        applications.first { $0.name == application }?.pins.first { $0.fid == fid }?.remaining
    }
}
