import ISO7816

/// A card transport that counts the command APDUs it carries (`jpkid_apdus_sent_total`) and
/// otherwise passes everything through. The daemon wraps each card connection's transport in
/// it, so the card and PC/SC layers know nothing of metrics.
struct CountingTransport: CardTransport {
    let base: any CardTransport
    let metrics: DaemonMetrics

    init(_ base: any CardTransport, metrics: DaemonMetrics) {
        self.base = base
        self.metrics = metrics
    }

    func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU {
        metrics.apduSent()
        return try await base.transmit(command)
    }

    var extendedLength: ExtendedLengthSupport { base.extendedLength }

    func withTransaction<T: Sendable>(ending: TransactionEnd, _ body: @Sendable () async throws -> T)
        async throws -> T
    {
        try await base.withTransaction(ending: ending, body)
    }

    func powerCycle() async throws {
        try await base.powerCycle()
    }

    func forgetPowerCycle() { base.forgetPowerCycle() }
}
