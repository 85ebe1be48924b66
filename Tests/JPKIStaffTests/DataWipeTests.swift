import FoundationEssentials
import Testing

@testable import JPKIStaff

@Suite("The staff server's Data wipe")
struct DataWipeTests {
    /// The staff server's form body is shared with the request it dispatched (and the client
    /// task relaying it): the wipe must overwrite that shared storage, not a copy.
    @Test func wipingReachesStorageAnotherDataShares() {
        var body = Data("pinA=123412341234&confirm=true&more=padding-past-inline".utf8)
        let sharer = body
        body.wipe()
        #expect(body.isEmpty)
        #expect(sharer.allSatisfy { $0 == 0 }, "the shared storage still holds the PIN")
    }
}
