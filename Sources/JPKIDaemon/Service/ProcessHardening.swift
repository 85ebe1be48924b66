import CProcessHardening

#if canImport(Glibc)
    import Glibc
#endif

/// Keeps PINs that pass through the daemon's memory out of core files and away from other
/// processes of the same user: no core file (`RLIMIT_CORE` 0, as the unit's `LimitCORE=0`) and
/// the dumpable flag cleared (which also closes `/proc/PID/mem` and ptrace to them).
public enum ProcessHardening {
    /// Applies both; returns what failed, for the log (nothing fails on Linux).
    public static func apply() -> [String] {
        var failures: [String] = []
        if jpkid_disable_core_files() != 0 { failures.append("setrlimit(RLIMIT_CORE): errno \(errno)") }
        if jpkid_set_not_dumpable() != 0 { failures.append("prctl(PR_SET_DUMPABLE): errno \(errno)") }
        return failures
    }

    /// Raises the open-file limit so `connections` clients, the readers' pcscd contexts and the
    /// refused connections being answered all fit (the unit sets `LimitNOFILE=4096`; elsewhere
    /// the soft limit is often 1024). Returns the limit now in force.
    public static func raiseOpenFileLimit(for connections: Int) -> Int {
        Int(jpkid_raise_open_files(Int(connections) * 4 + 256))
    }

    /// Whether the process may be dumped now (`/proc/self/status` `Dumpable`).
    public static var isDumpable: Bool { jpkid_dumpable() != 0 }
}
