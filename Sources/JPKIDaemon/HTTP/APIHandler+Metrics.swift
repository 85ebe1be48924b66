/// `GET /v1/metrics` (status group): the Prometheus text exposition (version 0.0.4) of
/// ``DaemonMetrics``, emitted by swift-prometheus.
extension APIHandler {
    func metricsRoute(_ request: APIRequest) throws -> APIResponse {
        try require(request, .status, methods: [.GET])
        return .body(.ok, contentType: DaemonMetrics.contentType, metrics.exposition())
    }
}
