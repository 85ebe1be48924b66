/// Power and reset as a physical My Number card behind a real reader answers them (reference
/// section 11): a warm reset returns to the default DF and keeps verified PINs; only a power-down
/// clears them. ``Power`` gives the other behaviours as options.
extension SimulatedCard {
    /// How the card and its reader treat power and reset.
    public struct Power: Codable, Sendable, Equatable {
        /// The first APDU after a power-up answers `6F 00` (one physical card does).
        public var powerUp6F00 = false
        /// The old, ISO-textbook behaviour: a warm reset clears verified PINs too.
        public var isoReset = false
        /// A reader that ignores power-down and reset entirely: the card keeps its selection and
        /// its verified PINs (to test how jpkid finds and handles an unsafe reader).
        public var readerKeepsState = false

        public init(powerUp6F00: Bool = false, isoReset: Bool = false, readerKeepsState: Bool = false) {
            self.powerUp6F00 = powerUp6F00
            self.isoReset = isoReset
            self.readerKeepsState = readerKeepsState
        }

        private enum CodingKeys: String, CodingKey { case powerUp6F00, isoReset, readerKeepsState }

        /// Absent fields keep the physical-card default.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            powerUp6F00 = try c.decodeIfPresent(Bool.self, forKey: .powerUp6F00) ?? false
            isoReset = try c.decodeIfPresent(Bool.self, forKey: .isoReset) ?? false
            readerKeepsState = try c.decodeIfPresent(Bool.self, forKey: .readerKeepsState) ?? false
        }
    }

    /// The power and reset behaviour; real-card semantics by default.
    public var power: Power {
        get { withState { $0.power } }
        set { withState { $0.power = newValue } }
    }

    /// Control messages received, in order: `0` power-down, `1` power-up, `2` warm reset.
    public var controlLog: [UInt8] { withState { $0.controls } }

    public func clearControlLog() { withState { $0.controls.removeAll() } }

    /// Power-down (vpcd control `0`): no AP selected, no PIN verified, unless the reader keeps
    /// the card powered (``Power/readerKeepsState``).
    public func powerDown() {
        withState { s in
            s.controls.append(0)
            guard !s.power.readerKeepsState else { return }
            s.currentApplication = nil
            s.currentFile = nil
            s.verified = []
            s.verifiedApplication = nil
        }
    }

    /// Power-up (vpcd control `1`); with ``Power/powerUp6F00`` the next APDU answers `6F 00`.
    public func powerUp() {
        withState { s in
            s.controls.append(1)
            guard !s.power.readerKeepsState else { return }
            s.answerNoDiagnosisNext = s.power.powerUp6F00
        }
    }

    /// Warm reset (vpcd control `2`): back to the default DF. Verified PINs stay verified, as on
    /// physical cards, unless ``Power/isoReset``.
    public func warmReset() {
        withState { s in
            s.controls.append(2)
            guard !s.power.readerKeepsState else { return }
            s.currentApplication = nil
            s.currentFile = nil
            if s.power.isoReset {
                s.verified = []
                s.verifiedApplication = nil
            }
        }
    }

    /// Transaction bookkeeping for ``SimulatedCardTransport``: whether the current transaction
    /// power-cycled the card and sent no PIN since.
    var closedByPowerCycle: Bool {
        get { withState { $0.closedByPowerCycle } }
        set { withState { $0.closedByPowerCycle = newValue } }
    }

    /// Whether any PIN is verified now (for tests).
    public var hasVerifiedPIN: Bool { withState { !$0.verified.isEmpty } }
}
