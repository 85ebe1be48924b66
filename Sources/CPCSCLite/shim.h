#ifndef JPKID_CPCSCLITE_SHIM_H
#define JPKID_CPCSCLITE_SHIM_H
// pcsc-lite for Swift. On 64-bit Linux DWORD and LONG are 8 bytes and SCARD_READERSTATE is not
// packed; Swift imports the structs with the C layout, so nothing here redefines them.
#include <winscard.h>
#include <reader.h>

// SCARD_PCI_T0 / SCARD_PCI_T1 are macros over extern globals: Swift cannot import them.
static inline const SCARD_IO_REQUEST *jpkid_pci_t0(void) { return SCARD_PCI_T0; }
static inline const SCARD_IO_REQUEST *jpkid_pci_t1(void) { return SCARD_PCI_T1; }
static inline const SCARD_IO_REQUEST *jpkid_pci_raw(void) { return SCARD_PCI_RAW; }
// The largest command the reader driver takes (libccid answers it); a function-like macro in
// reader.h, so Swift cannot import it.
static inline DWORD jpkid_attr_maxinput(void) { return SCARD_ATTR_VALUE(SCARD_CLASS_VENDOR_DEFINED, 0xA007); }
#endif
