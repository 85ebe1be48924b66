import FuzzSupport

#if canImport(Glibc)
    import Glibc
#endif

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

/// The format rules of the reference, on bytes: auth, card text and both JUKI PINs exactly 4 of
/// 0-9; the card-data keys as below; sign
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
        // 照合番号B: birth date YYMMDD with its Japanese era year (a date of some era, not in the
        // future), expiry year YYYY from 2016 to 11 years ahead, security code: 14 digits.
        guard bytes.count == 14, digits == 14 else { return nil }
        let d = bytes.map { Int($0) - 0x30 }
        let year = d[6] * 1000 + d[7] * 100 + d[8] * 10 + d[9]
        let today = japanToday()
        return isEraBirthDate(Array(d.prefix(6)), today: today) && (2016...(today.0 + 11)).contains(year)
            ? bytes : nil
    case .cardFaceBirthDate:
        guard bytes.count == 6, digits == 6 else { return nil }
        return isEraBirthDate(bytes.map { Int($0) - 0x30 }, today: japanToday()) ? bytes : nil
    default:
        break
    }
    if kind == .sign {
        return (6...16).contains(bytes.count) && digits + letters == bytes.count && digits > 0 && letters > 0
            ? bytes : nil
    }
    return bytes.count == 4 && digits == 4 ? bytes : nil
}

/// Today in Japan (UTC+9) as (year, month, day), from the Unix day count (written apart from
/// jpkid's calendar on purpose).
private func japanToday() -> (Int, Int, Int) {
    var t = timespec()
    clock_gettime(CLOCK_REALTIME, &t)
    var days = (Int(t.tv_sec) + 9 * 3600) / 86400
    var year = 1970
    while true {
        let length = isLeap(year) ? 366 : 365
        if days < length { break }
        days -= length
        year += 1
    }
    var month = 1
    while days >= daysIn(year, month) {
        days -= daysIn(year, month)
        month += 1
    }
    return (year, month, days + 1)
}

private func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

private func daysIn(_ y: Int, _ m: Int) -> Int {
    m == 2 ? (isLeap(y) ? 29 : 28) : [4, 6, 9, 11].contains(m) ? 30 : 31
}

/// Whether six digits YYMMDD are a date in some era (Meiji 1868-01-25, Taisho 1912-07-30, Showa
/// 1926-12-25, Heisei 1989-01-08, Reiwa 2019-05-01, year = first year + YY - 1), not after today.
private func isEraBirthDate(_ d: [Int], today: (Int, Int, Int)) -> Bool {
    let (yy, mm, dd) = (d[0] * 10 + d[1], d[2] * 10 + d[3], d[4] * 10 + d[5])
    guard yy >= 1, (1...12).contains(mm) else { return false }
    let starts = [18_680_125, 19_120_730, 19_261_225, 19_890_108, 20_190_501]
    let now = today.0 * 10_000 + today.1 * 100 + today.2
    for (index, start) in starts.enumerated() {
        let year = start / 10_000 + yy - 1
        guard (1...daysIn(year, mm)).contains(dd) else { continue }
        let value = year * 10_000 + mm * 100 + dd
        let end = index + 1 < starts.count ? starts[index + 1] : Int.max
        if value >= start, value < end, value <= now { return true }
    }
    return false
}

@main
enum PINFuzzer {
    static func main() { runFuzzer(fuzzPIN) }
}
