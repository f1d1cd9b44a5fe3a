"""Resident memory of this process, and returning the embedded engine's idle code pages (Linux).

Most of an idle embedded store's resident set is not data: it is the chDB library's machine code
and read-only data (a 530 MiB file), about 300 MiB of which the engine touches while it starts and
then barely uses (docs/ingest.md#memory). Those pages are clean copies of the library file: the
kernel can drop them from this process and map them again, from its page cache, at the next use.
``LibraryPages.release`` asks for exactly that (``madvise(MADV_DONTNEED)``), and only over
mappings where it cannot change any byte the process sees: private, not writable, backed by a
shared-library file and holding no anonymous (copied-on-write) page. A read-only mapping never
gains such a page, so the mappings checked once are re-checked only by address and identity.
"""

from __future__ import annotations

import ctypes
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

_MADV_DONTNEED = 4
_MAPPING = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) (\S{4}) ([0-9a-f]+) (\S+) (\d+)\s+(.*)$")
_LIBRARY = re.compile(r"\.so(\.[0-9.]+)?$")


def resident_bytes() -> int | None:
    """This process's resident set size (Linux /proc), or None where it cannot be read."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


@dataclass(frozen=True)
class _Mapping:
    start: int
    end: int
    identity: str  # the /proc/self/maps line after the address range: perms, offset, device, inode, path


def _mapping(line: str) -> tuple[_Mapping, str, str] | None:
    """(mapping, permissions, path) of a /proc/self/maps or smaps header line."""
    match = _MAPPING.match(line.rstrip("\n"))
    if not match:
        return None
    start, end, perms, offset, device, inode, path = match.groups()
    identity = f"{perms} {offset} {device} {inode} {path.strip()}"
    return _Mapping(int(start, 16), int(end, 16), identity), perms, path.strip()


def _releasable(perms: str, path: str, fields: dict[str, int]) -> bool:
    return (
        perms[1] == "-"  # not writable
        and perms[3] == "p"  # private
        and path.startswith("/")
        and bool(_LIBRARY.search(path))
        and fields.get("Anonymous", 1) == 0
    )


def _scan_smaps() -> list[_Mapping]:
    """The library mappings that hold only clean file pages now (reads /proc/self/smaps)."""
    found: list[_Mapping] = []
    current: tuple[_Mapping, str, str] | None = None
    fields: dict[str, int] = {}

    def close() -> None:
        if current is not None and _releasable(current[1], current[2], fields):
            found.append(current[0])

    with open("/proc/self/smaps", encoding="utf-8", errors="replace") as smaps:
        for line in smaps:
            header = _mapping(line)
            if header is not None:
                close()
                current, fields = header, {}
                continue
            name, _, rest = line.partition(":")
            value = rest.split()
            if value and value[0].isdigit():
                fields[name] = int(value[0])
    close()
    return found


def _live_mappings() -> set[_Mapping]:
    with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
        return {header[0] for line in maps if (header := _mapping(line)) is not None}


class LibraryPages:
    """Returns the clean, read-only pages of this process's shared libraries to the kernel.

    Linux only; elsewhere (or without /proc) ``release`` does nothing and returns 0."""

    def __init__(self) -> None:
        self._checked: list[_Mapping] | None = None
        self._madvise = _libc_madvise()

    def release(self) -> int:
        """Drop the resident pages of the checked library mappings still mapped as they were;
        returns the bytes of address space advised. A page used again is mapped again from the
        page cache (a minor fault). The first call checks the mappings (/proc/self/smaps)."""
        if self._madvise is None:
            return 0
        try:
            if self._checked is None:
                self._checked = _scan_smaps()
                live = set(self._checked)
            else:
                live = _live_mappings()
        except (OSError, ValueError):
            self._madvise = None
            return 0
        advised = 0
        for mapping in self._checked:
            if (
                mapping in live
                and self._madvise(mapping.start, mapping.end - mapping.start, _MADV_DONTNEED) == 0
            ):
                advised += mapping.end - mapping.start
        return advised


def _libc_madvise() -> Callable[[int, int, int], int] | None:
    if not sys.platform.startswith("linux") or not Path("/proc/self/smaps").exists():
        return None
    try:
        madvise = ctypes.CDLL(None, use_errno=True).madvise
    except (OSError, AttributeError):
        return None
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    madvise.restype = ctypes.c_int
    advise: Callable[[int, int, int], int] = madvise
    return advise
