import ArgumentParser
import FoundationEssentials
import JPKIAPI
import JPKIClient

#if canImport(Glibc)
    import Glibc
#endif

struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print events as they happen (Ctrl-C to stop).")
    @OptionGroup var options: CommonOptions
    @Option(help: "Stop after this many events.")
    var count: Int?

    func run() async throws {
        var seen = 0
        let response: UnixHTTPClient.Response?
        do {
            response = try await options.client.events("/v1/events") { type, data in
                if options.json {
                    print(data)
                } else if let event = try? APIJSON.decoder().decode(EventView.self, from: Data(data.utf8)) {
                    var line = "\(japanTime(event.time))  \(type)"
                    if let reader = event.reader { line += "  reader=\(reader)" }
                    if let pin = event.pin { line += "  pin=\(pin)" }
                    if let remaining = event.remaining { line += "  remaining=\(remaining)" }
                    if let kind = event.kind { line += "  kind=\(kind)" }
                    print(line)
                }
                fflush(nil)
                seen += 1
                return count.map { seen < $0 } ?? true
            }
        } catch {
            printError("\(error)")
            throw Exit.unreachable.code
        }
        if let response, !(200..<300).contains(response.status) {
            let detail = try? APIJSON.decoder().decode(ErrorBody.self, from: response.body)
            printError("\(detail?.error.code.rawValue ?? "http_\(response.status)"): \(detail?.error.message ?? "")")
            throw Exit.forCode(detail?.error.code).code
        }
    }
}
