import Secrets
import Testing

/// Each test reads the storage that held the secret after the wipe, so a wipe that only forgets
/// the bytes (or drops the overwrite) fails it.
struct SecretBytesTests {
    @Test func wipeOverwritesTheStorageAndLeavesNoBytes() {
        let secret = SecretBytes(Array("123456".utf8))
        #expect(secret.count == 6)
        #expect(secret.withBytes { Array($0) } == Array("123456".utf8))
        // The storage stays allocated until the object goes: look at it through its address.
        let base = secret.withBytes { $0.baseAddress! }
        secret.wipe()
        withExtendedLifetime(secret) {
            #expect(Array(UnsafeBufferPointer(start: base, count: 6)) == [0, 0, 0, 0, 0, 0])
        }
        #expect(secret.count == 0)
        #expect(secret.withBytes { $0.isEmpty })
        secret.wipe()
        #expect(secret.count == 0)
    }

    @Test func takingAnArrayWipesTheArray() {
        var bytes: [UInt8] = [0x31, 0x32, 0x33, 0x34]
        let base = bytes.withUnsafeBufferPointer { $0.baseAddress! }
        let secret = SecretBytes(wiping: &bytes)
        #expect(bytes.isEmpty)
        #expect(Array(UnsafeBufferPointer(start: base, count: 4)) == [0, 0, 0, 0])
        #expect(secret.withBytes { Array($0) } == [0x31, 0x32, 0x33, 0x34])
    }

    @Test func arrayWipeOverwritesInPlaceAndEmpties() {
        var bytes: [UInt8] = Array(repeating: 0x39, count: 300)
        let base = bytes.withUnsafeBufferPointer { $0.baseAddress! }
        bytes.wipe()
        #expect(bytes.isEmpty)
        // Emptied with its storage kept: the same address now holds zeros.
        #expect(bytes.withUnsafeBufferPointer { $0.baseAddress } == base)
        #expect(Array(UnsafeBufferPointer(start: base, count: 300)).allSatisfy { $0 == 0 })
    }

    @Test func comparesInPlaceIncludingWithItself() {
        let a = SecretBytes(Array("ABC123".utf8))
        #expect(a.hasSameBytes(as: a))
        #expect(a.hasSameBytes(as: SecretBytes(Array("ABC123".utf8))))
        #expect(!a.hasSameBytes(as: SecretBytes(Array("ABC124".utf8))))
        #expect(!a.hasSameBytes(as: SecretBytes(Array("ABC12".utf8))))
    }

    @Test func rawWipeZeroesEveryByte() {
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: 16, alignment: 1)
        defer { raw.deallocate() }
        raw.initializeMemory(as: UInt8.self, repeating: 0xAA)
        raw.wipe()
        #expect(raw.allSatisfy { $0 == 0 })
        UnsafeMutableRawBufferPointer(start: nil, count: 0).wipe()
    }
}
