import CProcessHardening

/// Gives memory freed since the last pass back to the system.
///
/// glibc keeps freed heap in its arenas for reuse. A kiosk daemon reads a card (certificate
/// parsing, chain checks) or serves a burst of connections, then idles for hours; without a
/// trim the resident size stays at the burst's peak. One `malloc_trim` a minute costs a few
/// microseconds when there is nothing to give back.
enum MemoryTrim {
    static let interval: Duration = .seconds(60)

    /// Trims now: after a card read, whose parsing is the daemon's largest transient use.
    static func releaseNow() { _ = jpkid_release_free_memory() }

    static func run() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            _ = jpkid_release_free_memory()
        }
    }
}
