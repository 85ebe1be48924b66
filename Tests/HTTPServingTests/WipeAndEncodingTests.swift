import NIOCore
import Testing

@testable import HTTPServing

@Suite("Wiping, target decoding and SSE bytes")
struct WipeAndEncodingTests {
    @Test func wipingOverwritesTheStorageItself() {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(64)
        buffer.writeString("{\"pin\":\"4321\"}")
        let written = buffer.writerIndex
        buffer.wipe()
        #expect(buffer.readableBytes == 0)
        // The storage the PIN was in, read behind the buffer's indices.
        buffer.withVeryUnsafeBytes { storage in
            #expect(storage.prefix(written).allSatisfy { $0 == 0 }, "the PIN's bytes are still in memory")
        }
    }

    /// The servers take the body out of the collector's enum, which still holds the storage:
    /// the wipe must reach that storage, not a copy of it.
    @Test func wipingReachesStorageAnotherBufferShares() {
        var buffer = ByteBuffer()
        buffer.writeString("pinA=123412341234&pinB=")
        let sharer = CollectedRequest.request(.init(version: .http1_1, method: .POST, uri: "/"), body: buffer)
        let written = buffer.writerIndex
        buffer.wipe()
        guard case .request(_, let kept) = sharer else {
            Issue.record("not a request")
            return
        }
        kept.withVeryUnsafeBytes { storage in
            #expect(storage.prefix(written).allSatisfy { $0 == 0 }, "the shared storage still holds the PIN")
        }
    }

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
    func pathsArePercentDecoded(_ raw: String, _ decoded: String) {
        #expect(RequestTarget.split(raw).path == decoded)
    }

    @Test func queryItemsAreDecodedAndALastValueWins() {
        let (path, query) = RequestTarget.split("/v1/readers/r1?refresh=1&format=p%65m&x&refresh=true&b=%zz")
        #expect(path == "/v1/readers/r1")
        #expect(query == ["refresh": "true", "format": "pem", "x": "", "b": "%zz"])
    }

    @Test func formsDecodePlusAndLeaveOutWhatDoesNotDecode() {
        let (path, query) = RequestTarget.splitForm("/a%20b?lang=en&q=a+b%21&bad=%zz&%zz=1&x")
        #expect(path == "/a%20b", "a form's path is kept as it came")
        #expect(query == ["lang": "en", "q": "a b!", "x": ""])
        #expect(RequestTarget.formFields("ticket=ab%2Bc&ticket=d") == ["ticket": "d"])
        #expect(RequestTarget.formFields("a=1&a=%zz").isEmpty, "a broken last value drops the item")
    }

    @Test func serverSentEventsAreFramedLineByLine() {
        #expect(
            String(buffer: ServerSentEvents.event(id: "7", type: "card", data: "{\"a\":1}"))
                == "id: 7\nevent: card\ndata: {\"a\":1}\n\n")
        #expect(
            String(buffer: ServerSentEvents.event(id: nil, type: "x", data: "a\nb")) == "event: x\ndata: a\ndata: b\n\n"
        )
        #expect(String(buffer: ServerSentEvents.comment("keep-alive")) == ": keep-alive\n\n")
        #expect(String(buffer: ServerSentEvents.retry(milliseconds: 1000)) == "retry: 1000\n\n")
    }
}
