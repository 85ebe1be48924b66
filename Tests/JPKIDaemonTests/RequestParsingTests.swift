import Testing

@testable import JPKIDaemon

/// What FoundationEssentials does not do for us, done by hand: an object's keys. (Percent-decoding
/// is the shared HTTP code's: HTTPServingTests.)
@Suite("Request parsing without full Foundation")
struct RequestParsingTests {
    @Test func objectKeysAndWhatIsNotAnObject() {
        #expect(
            JSONTopLevelKeys.of(Array(#"{"pin":"1234","cardId":null,"n":[1,{"a":true}]}"#.utf8))?.sorted() == [
                "cardId", "n", "pin",
            ])
        for body in [#"[1]"#, #""x""#, "1", "null", "{", #"{"a":}"#, ""] {
            #expect(JSONTopLevelKeys.of(Array(body.utf8)) == nil, "\(body)")
        }
        // Brackets inside strings do not count as nesting.
        #expect(JSONTopLevelKeys.depth(of: Array(#"{"a":"[[[{{{\"]]]"}"#.utf8)) == 1)
    }

    @Test func aDeeplyNestedBodyIsRefusedBeforeDecoding() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(JSONTopLevelKeys.of(Array(#"{"a":\#(deep)}"#.utf8)) == nil)
        let limit =
            String(repeating: "[", count: JSONTopLevelKeys.maxDepth - 1)
            + String(repeating: "]", count: JSONTopLevelKeys.maxDepth - 1)
        #expect(JSONTopLevelKeys.of(Array(#"{"a":\#(limit)}"#.utf8)) == ["a"])
    }
}
