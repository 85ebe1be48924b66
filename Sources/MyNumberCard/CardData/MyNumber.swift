/// The my number (個人番号): 12 digits, the last a check digit (reference 5a).
///
/// It is specially protected personal data (番号法): never logged, cached or printed by default.
/// `description`, `debugDescription` and `dump` show only that it is redacted.
public struct MyNumber: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The 12 ASCII digits.
    public let digits: String

    /// Checks that `value` is 12 ASCII digits whose last is the right check digit. The error never
    /// repeats the value.
    public init(_ value: String) throws(CardError) {
        let bytes = Array(value.utf8)
        guard bytes.count == 12, bytes.allSatisfy({ (0x30...0x39).contains($0) }) else {
            throw .malformedResponse("the my number is not 12 digits")
        }
        let numbers = bytes.map { Int($0 - 0x30) }
        guard Self.checkDigit(of: numbers.prefix(11)) == numbers[11] else {
            throw .malformedResponse("the my number's check digit does not match")
        }
        digits = value
    }

    /// The check digit of the first 11 digits: with P(n) the n-th digit from the right and
    /// Q(n) = n + 1 (n ≤ 6) or n − 5 (n ≥ 7), r = ΣP(n)·Q(n) mod 11 gives 0 when r ≤ 1, else 11 − r.
    public static func checkDigit(of first11: some Collection<Int>) -> Int {
        precondition(first11.count == 11, "the check digit is computed over 11 digits")
        var sum = 0
        for (index, digit) in first11.reversed().enumerated() {
            let n = index + 1
            sum += digit * (n <= 6 ? n + 1 : n - 5)
        }
        let r = sum % 11
        return r <= 1 ? 0 : 11 - r
    }

    /// The last four digits behind masks, as a counter display shows it: `**** **** 9018`.
    public var masked: String { "**** **** " + digits.suffix(4) }

    public var description: String { "MyNumber(redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
