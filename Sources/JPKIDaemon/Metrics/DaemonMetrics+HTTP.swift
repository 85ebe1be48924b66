import HTTPServing
import NIOHTTP1

extension DaemonMetrics {
    /// An API request answered with `response`, received at `start`: counted by route
    /// template, method and status, and its duration observed.
    func request(_ head: HTTPRequestHead, _ response: APIResponse, since start: ContinuousClock.Instant) {
        request(
            route: RouteTemplate.template(for: RequestTarget.split(head.uri).path), head.method, response,
            since: start)
    }

    /// The same, with the route template the request's path has already found.
    func request(
        route: String, _ method: HTTPMethod, _ response: APIResponse, since start: ContinuousClock.Instant
    ) {
        let status: UInt =
            switch response {
            case .body(let status, _, _, _): status.code
            case .events: 200
            }
        request(
            route: route, method: RouteTemplate.method(method.rawValue), status: status,
            duration: ContinuousClock.now - start)
    }
}
