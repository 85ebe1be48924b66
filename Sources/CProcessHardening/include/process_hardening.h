#ifndef JPKID_PROCESS_HARDENING_H
#define JPKID_PROCESS_HARDENING_H
// prctl(2) is variadic, which Swift cannot call: these wrap the calls jpkid needs.

/// Clears the process's dumpable flag (no core file, no ptrace by the same user, /proc/PID/mem
/// closed to others). Returns 0 or -1 with errno set.
int jpkid_set_not_dumpable(void);

/// The dumpable flag: 0, 1 or 2, or -1 with errno set.
int jpkid_dumpable(void);

/// Sets RLIMIT_CORE to 0 (soft and hard). Returns 0 or -1 with errno set.
int jpkid_disable_core_files(void);
/// Raises the soft RLIMIT_NOFILE to `want` (or the hard limit, if lower). Returns the new soft
/// limit, or -1 with errno set.
long jpkid_raise_open_files(long want);
#endif
