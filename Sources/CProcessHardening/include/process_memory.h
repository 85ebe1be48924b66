#ifndef JPKID_PROCESS_MEMORY_H
#define JPKID_PROCESS_MEMORY_H
// glibc's malloc tuning and the executable's mapped text: calls Swift cannot make (mallopt and
// malloc_trim are in <malloc.h>, which Glibc's module does not export; dl_iterate_phdr's
// callback).

/// Caps glibc malloc at `arenas` arenas (mallopt M_ARENA_MAX). Returns 1 on success, 0 otherwise.
int jpkid_malloc_arena_max(int arenas);

/// Returns free heap memory to the system (malloc_trim(0)). Returns 1 if some was released.
int jpkid_malloc_trim(void);

/// Bytes of heap in use (allocated and not freed), over all arenas (mallinfo2's uordblks).
unsigned long jpkid_heap_in_use(void);

/// Drops this process's mappings of its executable's read-only, executable segment (code,
/// symbols, unwind tables): clean pages of the file, which the kernel maps in 64 KiB runs around
/// every page start-up touches. The page cache keeps them; a page used again is mapped again on
/// its first touch. Never touches a writable segment, and does nothing for an executable with
/// text relocations (whose text pages are not the file's). Returns the bytes released, or -1.
long jpkid_release_executable_text(void);
#endif
