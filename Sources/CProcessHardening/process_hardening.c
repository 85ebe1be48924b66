#include "process_hardening.h"
#include <sys/prctl.h>
#include <sys/resource.h>

int jpkid_set_not_dumpable(void) { return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); }

int jpkid_dumpable(void) { return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0); }

int jpkid_disable_core_files(void) {
    struct rlimit none = {0, 0};
    return setrlimit(RLIMIT_CORE, &none);
}
