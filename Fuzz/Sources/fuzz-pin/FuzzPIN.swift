import FuzzSupport

@testable import MyNumberCard

/// The PIN constructor of every kind. Input: the first byte picks the kind, the rest is the value
/// (invalid UTF-8 becomes U+FFFD, as a JSON decoder would refuse or replace it).
///
/// Invariants: a value is accepted exactly when it matches its kind's format rule (checked here by
/// an independent rule on bytes), the accepted bytes are the value (the sign PIN upper-cased in
/// A-Z only), the value never shows in description, debugDescription, reflection or dump, and a
/// refusal is the same error whatever the value, so it cannot echo it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPIN(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    guard let selector = input.first else { return 0 }
    let kinds = PINKind.allCases
    let kind = kinds[Int(selector) % kinds.count]
    let value = String(decoding: input.dropFirst(), as: UTF8.self)

    let expected = expectedBytes(value, kind)
    do {
        let pin = try PIN(value, for: kind)
        require(expected != nil, "accepted a \(kind) PIN outside the rule: \(Array(value.utf8))")
        require(pin.bytes == expected, "accepted bytes differ from the value")
        require(pin.kind == kind, "kind")
        var dumped = ""
        dump(pin, to: &dumped)
        let shown = [pin.description, pin.debugDescription, String(reflecting: pin), "\(pin)", dumped]
        let secret = String(decoding: pin.bytes, as: UTF8.self)
        for text in shown {
            require(!text.contains(secret) && !text.contains(value), "a description shows the PIN")
        }
    } catch {
        require(expected == nil, "refused a \(kind) PIN that matches the rule")
        require(error == CardError.pinFormat(kind, kind.formatRule), "the refusal depends on the value: \(error)")
    }
    return 0
}

/// The format rules of the reference, on bytes: auth, card text and JUKI exactly 4 of 0-9; sign
/// 6 to 16 of A-Z and 0-9 with at least one of each, a-z taken as A-Z.
private func expectedBytes(_ value: String, _ kind: PINKind) -> [UInt8]? {
    var bytes = Array(value.utf8)
    guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
    if kind == .sign { bytes = bytes.map { (0x61...0x7A).contains($0) ? $0 - 0x20 : $0 } }
    let digits = bytes.filter { (0x30...0x39).contains($0) }.count
    let letters = bytes.filter { (0x41...0x5A).contains($0) }.count
    switch kind {
    case .cardTextPINA, .cardFacePINA:
        // The 12-digit my number, its check digit per reference 5a.
        guard bytes.count == 12, digits == 12 else { return nil }
        let d = bytes.map { Int($0) - 0x30 }
        var sum = 0
        for n in 1...11 { sum += d[11 - n] * (n <= 6 ? n + 1 : n - 5) }
        let r = sum % 11
        return d[11] == (r <= 1 ? 0 : 11 - r) ? bytes : nil
    case .cardTextPINB, .cardFacePINB:
        // Birth date YYMMDD, expiry year YYYY, security code: 14 digits, a real month and day.
        guard bytes.count == 14, digits == 14 else { return nil }
        let d = bytes.map { Int($0) - 0x30 }
        return (1...12).contains(d[2] * 10 + d[3]) && (1...31).contains(d[4] * 10 + d[5]) ? bytes : nil
    default:
        break
    }
    if kind == .sign {
        return (6...16).contains(bytes.count) && digits + letters == bytes.count && digits > 0 && letters > 0
            ? bytes : nil
    }
    return bytes.count == 4 && digits == 4 ? bytes : nil
}

@main
enum PINFuzzer {
    static func main() { runFuzzer(fuzzPIN) }
}
