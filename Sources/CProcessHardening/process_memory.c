#define _GNU_SOURCE
#include "process_memory.h"
#include <elf.h>
#include <link.h>
#include <malloc.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

int jpkid_malloc_arena_max(int arenas) { return mallopt(M_ARENA_MAX, arenas); }

int jpkid_malloc_trim(void) { return malloc_trim(0); }

unsigned long jpkid_heap_in_use(void) { return (unsigned long)mallinfo2().uordblks; }

static int has_text_relocations(const struct dl_phdr_info *info) {
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_DYNAMIC) continue;
        for (const ElfW(Dyn) *d = (const ElfW(Dyn) *)(info->dlpi_addr + ph->p_vaddr); d->d_tag != DT_NULL; d++) {
            if (d->d_tag == DT_TEXTREL) return 1;
            if (d->d_tag == DT_FLAGS && (d->d_un.d_val & DF_TEXTREL)) return 1;
        }
    }
    return 0;
}

static int release_main_text(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    long *released = data;
    // The first object dl_iterate_phdr reports is the main program.
    if (has_text_relocations(info)) {
        *released = -1;
        return 1;
    }
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X) || (ph->p_flags & PF_W)) continue;
        uintptr_t start = (info->dlpi_addr + ph->p_vaddr) & ~(page - 1);
        // Only the part backed by the file: a segment's tail past p_filesz would be anonymous.
        uintptr_t end = (info->dlpi_addr + ph->p_vaddr + ph->p_filesz) & ~(page - 1);
        if (end <= start) continue;
        if (madvise((void *)start, end - start, MADV_DONTNEED) != 0) {
            *released = -1;
            return 1;
        }
        *released += (long)(end - start);
    }
    return 1;
}

long jpkid_release_executable_text(void) {
    long released = 0;
    dl_iterate_phdr(release_main_text, &released);
    return released;
}
