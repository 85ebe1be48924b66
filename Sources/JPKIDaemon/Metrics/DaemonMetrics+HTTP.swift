import NIOHTTP1

extension DaemonMetrics {
    /// An API request answered with `response`, received at `start`: counted by route
    /// template, method and status, and its duration observed.
    func request(_ head: HTTPRequestHead, _ response: APIResponse, since start: ContinuousClock.Instant) {
        let status: UInt =
            switch response {
            case .body(let status, _, _, _): status.code
            case .events: 200
            }
        request(
            route: RouteTemplate.template(for: RequestTarget.split(head.uri).path),
            method: RouteTemplate.method(head.method.rawValue), status: status,
            duration: ContinuousClock.now - start)
    }
}
