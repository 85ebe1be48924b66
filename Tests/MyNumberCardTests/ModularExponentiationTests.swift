import ISO7816
import Testing

@testable import MyNumberCard

/// The raw RSA public operation against Python's pow() on keys Python's `cryptography` made
/// (scripts/fixtures/make-modexp-vectors.py): 1024 to 4096 bits, a modulus that fills no whole
/// 32-bit limb (1032 bits), e = 3 and 65537, bases 0, 1, 2, n−1, n−2, one with a zero top byte
/// and four random ones.
@Suite("Modular exponentiation: the raw RSA operation against Python's pow()")
struct ModularExponentiationTests {
    static let vectors = ModularExponentiationVectors.all

    @Test("base^e mod n equals Python's", arguments: vectors.indices)
    func publicExponent(_ index: Int) throws {
        let vector = Self.vectors[index]
        let n = try #require([UInt8](hex: vector.modulus))
        let e = try #require([UInt8](hex: vector.exponent))
        for (base, expected) in vector.bases {
            let b = try #require([UInt8](hex: base))
            #expect(
                ModularExponentiation.power(b, e, modulus: n) == [UInt8](hex: expected),
                "\(n.count * 8) bits, \(base.prefix(16))…")
        }
    }

    /// The private exponent (as long as the modulus) undoes the public one: exercises every bit
    /// pattern of a long exponent, which e = 65537 does not.
    @Test("(base^e)^d mod n is the base again", arguments: vectors.indices)
    func privateExponentRoundTrip(_ index: Int) throws {
        let vector = Self.vectors[index]
        let n = try #require([UInt8](hex: vector.modulus))
        let d = try #require([UInt8](hex: vector.privateExponent))
        for (base, power) in vector.bases.suffix(4) {
            let p = try #require([UInt8](hex: power))
            #expect(ModularExponentiation.power(p, d, modulus: n) == [UInt8](hex: base))
        }
    }

    @Test("the public operation refuses a signature that is not below the modulus or of another length")
    func refusesOutOfRange() throws {
        let vector = Self.vectors[1]
        let n = try #require([UInt8](hex: vector.modulus))
        let key = try CardRSAPublicKey(modulus: n, exponent: [1, 0, 1])
        #expect(key.publicOperation(n) == nil)
        #expect(key.publicOperation([UInt8](repeating: 0xFF, count: n.count)) == nil)
        #expect(key.publicOperation([0] + n) == nil)
        #expect(key.publicOperation(Array(n.dropFirst())) == nil)
        var below = n
        below[below.count - 1] -= 1  // n − 1
        #expect(key.publicOperation(below) == [UInt8](hex: vector.bases[3].1))
    }
}
