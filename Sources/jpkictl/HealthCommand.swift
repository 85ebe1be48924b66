import ArgumentParser
import JPKIAPI

struct Health: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Daemon version, uptime and PC/SC state.")
    @OptionGroup var options: CommonOptions

    func run() async throws {
        let data = try await options.call("GET", "/v1/health")
        if options.json { return StandardStream.standardOutput.writeJSON(data) }
        let health = try options.decode(HealthView.self, data)
        print("jpkid \(health.version), up \(health.uptimeSeconds)s, PC/SC \(health.pcsc), \(health.readers) reader(s)")
    }
}
