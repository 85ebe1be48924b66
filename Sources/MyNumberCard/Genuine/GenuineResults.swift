/// What a card-face check found: the verdict, each step, and what staff compare with
/// the card in their hand. Personal data: never logged or cached; `description` shows none.
public struct CardFaceCheckResult: Sendable, CustomStringConvertible {
    public let verdict: GenuineVerdict
    /// Why the verdict is not `genuine` (no personal data).
    public let reason: String?
    public let steps: [GenuineStep]
    /// The card-face CVC's issuer id, where the CVC parsed.
    public let issuer: CVCKeyID?
    /// The card face as read (nil when it could not be parsed).
    public let face: CardFace?
    /// EF `0005`, the rendered my number (PNG), only when asked for with 照合番号A.
    public let renderedMyNumber: [UInt8]?

    public init(steps: [GenuineStep], issuer: CVCKeyID?, face: CardFace?, renderedMyNumber: [UInt8]?) {
        (verdict, reason) = GenuineVerdict.of(steps)
        self.steps = steps
        self.issuer = issuer
        self.face = face
        self.renderedMyNumber = renderedMyNumber
    }

    public var description: String { "CardFaceCheckResult(\(verdict.rawValue), \(steps.count) steps, redacted)" }
}

/// What an age check found: whether the holder is at least `minimumAge` on `date`, with the
/// verdict that says whether the signed birth date can be trusted.
public struct AgeCheckResult: Sendable, CustomStringConvertible {
    public let verdict: GenuineVerdict
    public let reason: String?
    public let steps: [GenuineStep]
    public let issuer: CVCKeyID?
    public let minimumAge: Int
    /// `YYYY-MM-DD`, the day the age is counted on.
    public let date: String
    /// Whether the holder is at least `minimumAge` on `date`; nil unless the verdict is `genuine`.
    public let isOldEnough: Bool?
    /// The signed birth date `YYYYMMDD`, only when the caller asked for it and the record parsed.
    public let birthDate: String?

    public var description: String { "AgeCheckResult(\(verdict.rawValue), \(steps.count) steps, redacted)" }

    init(
        steps: [GenuineStep], issuer: CVCKeyID?, minimumAge: Int, date: String, signedBirthDate: String?,
        returningBirthDate: Bool
    ) {
        (verdict, reason) = GenuineVerdict.of(steps)
        self.steps = steps
        self.issuer = issuer
        self.minimumAge = minimumAge
        self.date = date
        if verdict == .genuine, let signedBirthDate {
            isOldEnough = AgeCheckResult.age(born: signedBirthDate, on: date).map { $0 >= minimumAge }
        } else {
            isOldEnough = nil
        }
        birthDate = returningBirthDate ? signedBirthDate : nil
    }

    /// Completed years on `date` (`YYYY-MM-DD`) for a birth date `YYYYMMDD`: the age rises on the
    /// birthday (a 29 February birthday on 1 March in other years). Nil for a malformed date.
    public static func age(born: String, on date: String) -> Int? {
        let b = Array(born.utf8)
        let d = Array(date.utf8.filter { $0 != UInt8(ascii: "-") })
        guard b.count == 8, d.count == 8, (b + d).allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        let number = { (bytes: ArraySlice<UInt8>) in bytes.reduce(0) { $0 * 10 + Int($1 - 0x30) } }
        let bornYear = number(b[0..<4])
        let year = number(d[0..<4])
        var age = year - bornYear
        if number(d[4..<8]) < number(b[4..<8]) { age -= 1 }
        return age
    }
}
