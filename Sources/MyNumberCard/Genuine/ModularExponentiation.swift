/// `base^exponent mod modulus` for the raw RSA public operation (RFC 8017 RSAVP1), on big-endian
/// byte strings: Montgomery multiplication (CIOS) over 32-bit limbs, left-to-right
/// square-and-multiply.
///
/// Written here because no package jpkid may link does it: swift-crypto exposes no raw RSA
/// operation, and the big-integer packages import Foundation, which would put ICU (about 30 MB)
/// into the daemon. Only public data goes through it (card keys, signatures), so it makes no
/// attempt at constant time.
enum ModularExponentiation {
    /// `base^exponent mod modulus` as exactly `modulus.count` bytes. The modulus must be odd and
    /// have no leading zero byte, and `base` must be below it (the caller checks both).
    static func power(_ base: [UInt8], _ exponent: [UInt8], modulus: [UInt8]) -> [UInt8] {
        let n = limbs(modulus)
        let field = Montgomery(modulus: n)
        let one = field.one
        var result = one
        let baseM = field.multiply(limbs(base, count: n.count), field.rSquared)
        for byte in exponent {
            for shift in stride(from: 7, through: 0, by: -1) {
                result = field.multiply(result, result)
                if (byte >> UInt8(shift)) & 1 == 1 { result = field.multiply(result, baseM) }
            }
        }
        var plainOne = [UInt32](repeating: 0, count: n.count)
        plainOne[0] = 1
        return bytes(field.multiply(result, plainOne), count: modulus.count)
    }

    /// Little-endian 32-bit limbs of a big-endian byte string, padded to `count` limbs.
    static func limbs(_ bytes: [UInt8], count: Int? = nil) -> [UInt32] {
        let needed = (bytes.count + 3) / 4
        var out = [UInt32](repeating: 0, count: max(count ?? needed, needed))
        for (offset, byte) in bytes.reversed().enumerated() {
            out[offset / 4] |= UInt32(byte) << UInt32(8 * (offset % 4))
        }
        return out
    }

    /// Big-endian bytes of little-endian limbs, the `count` lowest.
    static func bytes(_ limbs: [UInt32], count: Int) -> [UInt8] {
        (0..<count).reversed().map { offset in
            let limb = offset / 4 < limbs.count ? limbs[offset / 4] : 0
            return UInt8(truncatingIfNeeded: limb >> UInt32(8 * (offset % 4)))
        }
    }
}

/// Arithmetic modulo an odd `n` in Montgomery form, `R = 2^(32·k)` for `k` limbs.
struct Montgomery {
    let n: [UInt32]
    /// `-n⁻¹ mod 2^32`.
    let nPrime: UInt32
    /// `R mod n`: one, in Montgomery form.
    let one: [UInt32]
    /// `R² mod n`: multiplying by it brings a number into Montgomery form.
    let rSquared: [UInt32]

    init(modulus n: [UInt32]) {
        precondition(!n.isEmpty && n[0] & 1 == 1, "a Montgomery modulus is odd")
        self.n = n
        // Newton's iteration for n⁻¹ mod 2^32: each step doubles the correct low bits (from 1).
        var inverse: UInt32 = 1
        for _ in 0..<5 { inverse = inverse &* (2 &- n[0] &* inverse) }
        nPrime = 0 &- inverse
        // 1, doubled 32·k times mod n, is R mod n; doubled 32·k times more, R² mod n.
        var x = [UInt32](repeating: 0, count: n.count)
        x[0] = 1
        for _ in 0..<(32 * n.count) { Self.doubleModulo(&x, n) }
        one = x
        for _ in 0..<(32 * n.count) { Self.doubleModulo(&x, n) }
        rSquared = x
    }

    /// `a·b·R⁻¹ mod n` (CIOS). Both below `n`, `k` limbs each.
    func multiply(_ a: [UInt32], _ b: [UInt32]) -> [UInt32] {
        let k = n.count
        var t = [UInt32](repeating: 0, count: k + 2)
        for i in 0..<k {
            let ai = UInt64(a[i])
            var carry: UInt64 = 0
            for j in 0..<k {
                let sum = UInt64(t[j]) + ai * UInt64(b[j]) + carry
                t[j] = UInt32(truncatingIfNeeded: sum)
                carry = sum >> 32
            }
            var sum = UInt64(t[k]) + carry
            t[k] = UInt32(truncatingIfNeeded: sum)
            t[k + 1] = UInt32(truncatingIfNeeded: sum >> 32)

            let m = UInt64(t[0] &* nPrime)
            sum = UInt64(t[0]) + m * UInt64(n[0])
            carry = sum >> 32
            for j in 1..<k {
                sum = UInt64(t[j]) + m * UInt64(n[j]) + carry
                t[j - 1] = UInt32(truncatingIfNeeded: sum)
                carry = sum >> 32
            }
            sum = UInt64(t[k]) + carry
            t[k - 1] = UInt32(truncatingIfNeeded: sum)
            t[k] = t[k + 1] &+ UInt32(truncatingIfNeeded: sum >> 32)
        }
        // t < 2n: one subtraction at most.
        var result = Array(t[0..<k])
        if t[k] != 0 || !Self.less(result, n) { Self.subtract(&result, n) }
        return result
    }

    /// `x = 2x mod n`, for `x < n`.
    static func doubleModulo(_ x: inout [UInt32], _ n: [UInt32]) {
        var carry: UInt32 = 0
        for i in x.indices {
            let next = x[i] >> 31
            x[i] = x[i] << 1 | carry
            carry = next
        }
        if carry != 0 || !less(x, n) { subtract(&x, n) }
    }

    /// Whether `a < b`, both `k` limbs.
    static func less(_ a: [UInt32], _ b: [UInt32]) -> Bool {
        for i in a.indices.reversed() where a[i] != b[i] { return a[i] < b[i] }
        return false
    }

    /// `a -= b` modulo `2^(32·k)`.
    static func subtract(_ a: inout [UInt32], _ b: [UInt32]) {
        var borrow: UInt64 = 0
        for i in a.indices {
            let difference = UInt64(a[i]) &- UInt64(b[i]) &- borrow
            a[i] = UInt32(truncatingIfNeeded: difference)
            borrow = difference >> 63
        }
    }
}
