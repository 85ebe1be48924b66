import Testing

@testable import JPKIDaemon

/// What FoundationEssentials does not do for us, done by hand: percent-decoding and an object's keys.
@Suite("Request parsing without full Foundation")
struct RequestParsingTests {
    @Test(arguments: [
        ("/v1/readers", "/v1/readers"),
        ("/v1/readers/r%31", "/v1/readers/r1"),
        ("/v1/%E3%82%AB", "/v1/カ"),
        ("/v1/a%2Fb", "/v1/a/b"),
        ("/v1/a+b", "/v1/a+b"),  // a path keeps its +
        ("/v1/%", "/v1/%"),  // broken escapes: kept as they came
        ("/v1/%4", "/v1/%4"),
        ("/v1/%zz", "/v1/%zz"),
        ("/v1/%C3", "/v1/%C3"),  // not UTF-8 once decoded: kept
    ])
    func percentDecoding(_ raw: String, _ decoded: String) {
        #expect(RequestTarget.split(raw).path == decoded)
    }

    @Test func queryItemsAreDecodedAndALastValueWins() {
        let (path, query) = RequestTarget.split("/v1/readers/r1?refresh=1&format=p%65m&x&refresh=true")
        #expect(path == "/v1/readers/r1")
        #expect(query == ["refresh": "true", "format": "pem", "x": ""])
    }

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
