#!/usr/bin/env python3
"""Runs a program with memory that is both writable and executable denied, as systemd's
MemoryDenyWriteExecute=yes does (prctl PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN; Linux 6.3+)."""
import ctypes
import os
import sys

PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 65, 1
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0:
    sys.exit(f"mdwe-exec: PR_SET_MDWE unsupported: {os.strerror(ctypes.get_errno())}")
os.execv(sys.argv[1], sys.argv[1:])
