"""The peak resident memory of this process alone, for the benchmarks' child processes.

``getrusage(RUSAGE_SELF).ru_maxrss`` is preserved across ``execve`` (getrusage(2)), so a
child that ``subprocess`` starts from a big parent reports the parent's peak when it was
higher: a 1.5 GB parent makes a bare ``python -c`` child report 1.4 GB. The kernel's
``VmHWM`` is the high-water mark of the process's own address space, which starts afresh
at ``execve``. Linux only, like the rest of ``make bench``.
"""

from __future__ import annotations

from pathlib import Path

HERE = str(Path(__file__).resolve().parent)


def peak_rss_bytes() -> int:
    """This process's peak resident set size in bytes (``VmHWM`` of ``/proc/self/status``)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024  # kB
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")
