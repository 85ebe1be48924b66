#include <stddef.h>
#include <stdint.h>

// libFuzzer's entry for programs with a main of their own (compiler-rt FuzzerInterface.h).
// SwiftPM links every executable with its module's main, so the targets start libFuzzer here.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
