"""Crash grouping: a stable fingerprint from the exception type and the top in-app frames (pure).

Contract: the same crash from two builds (other line numbers, addresses, offsets, lambda or
synthetic class numbering, R8/ProGuard renaming) gets the same ``group_id``; another exception
type or another crashing code path gets another. Stacks understood:

- Java/Kotlin: ``at com.shop.CartViewModel.checkout(CartViewModel.kt:42)``
- Android native (tombstone backtrace): ``#00 pc 000000000004f2c8  /system/lib64/libc.so (abort+164)``
- Apple text (PLCrashReporter/KSCrash style): ``3  ShopApp  0x0000000104a5c3d4 CartView.pay() + 123``
- MetricKit call stack trees: Apple's JSON (``callStacks[].callStackRootFrames[]`` with ``subFrames``)
  and opentelemetry-swift's flat ``callStacks[].callStackFrames[]``

When a stack yields no usable frame, the exception message with numbers, hex and UUIDs blanked
stands in for the frames.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

TOP_FRAMES = 5

_JAVA_FRAME = re.compile(r"^\s*at\s+(?P<cls>[\w$.<>\-/]+)\.(?P<method>[\w$<>\-]+)\((?P<source>[^)]*)\)")
_NATIVE_FRAME = re.compile(
    r"^\s*#\d+\s+pc\s+(?:0x)?[0-9a-fA-F]+\s+(?P<lib>\S+)(?:\s+\((?P<func>[^)]*?)(?:\+\d+)?\))?"
)
_APPLE_FRAME = re.compile(r"^\s*\d+\s+(?P<binary>\S+)\s+0x[0-9a-fA-F]+\s+(?P<symbol>.*?)\s*$")

# Java/Kotlin packages that are not the app's own code.
_JAVA_SYSTEM = (
    "java.",
    "javax.",
    "jdk.",
    "sun.",
    "android.",
    "androidx.",
    "com.android.",
    "dalvik.",
    "libcore.",
    "kotlin.",
    "kotlinx.",
    "com.google.android.",
    "com.google.common.",
    "org.apache.",
    "org.json.",
    "okhttp3.",
    "okio.",
    "retrofit2.",
    "io.reactivex.",
    "rx.",
    "com.squareup.",
    "io.opentelemetry.",
    "io.embrace.",
    "com.facebook.react.",
    "io.flutter.",
    "org.chromium.",
)
_NATIVE_SYSTEM_DIRS = ("/system/", "/apex/", "/vendor/", "/product/", "[vdso]", "/bionic/")
_APPLE_SYSTEM_BINARIES = {
    "UIKitCore",
    "UIKit",
    "Foundation",
    "CoreFoundation",
    "SwiftUI",
    "SwiftUICore",
    "GraphicsServices",
    "QuartzCore",
    "CoreGraphics",
    "Combine",
    "CFNetwork",
    "Security",
    "dyld",
    "Network",
    "WebKit",
    "AVFoundation",
    "FrontBoardServices",
    "BaseBoard",
    "RunningBoardServices",
    "CoreData",
    "MapKit",
    "Metal",
    "CoreText",
}
# Lambda, synthetic and anonymous-class noise that changes from build to build.
_CLASS_NOISE = [
    (re.compile(r"\$\$ExternalSyntheticLambda\d+"), "$$Lambda"),
    (re.compile(r"\$\$ExternalSynthetic\w*?\d+"), "$$Synthetic"),
    (re.compile(r"\$\$Lambda\$\d+(/0x[0-9a-fA-F]+)?(@[0-9a-fA-F]+)?"), "$$Lambda"),
    (re.compile(r"\$lambda\$\d+"), "$lambda"),
    (re.compile(r"\$lambda-\d+"), "$lambda"),
    (re.compile(r"\$\d+(?=\$|$)"), "$"),
    (re.compile(r"-\$\$Nest\$\w+"), ""),
]
_METHOD_NOISE = [
    (re.compile(r"^lambda\$(\w+?)\$\d+$"), r"lambda$\1"),
    (re.compile(r"^(\w+?)\$lambda[-$]\d+$"), r"\1$lambda"),
    (re.compile(r"^access\$\d+$"), "access$"),
    (re.compile(r"^\$r8\$lambda\$[\w-]+$"), "$r8$lambda"),
    (re.compile(r"\$\d+$"), ""),
]
_OBFUSCATED_SEGMENT = re.compile(r"^[a-z]{1,2}$|^[A-Z][a-z]?$")
_SWIFT_NOISE = [
    (re.compile(r"\s*\((?:in\s+\S+|[^()]*:\d+(?::\d+)?)\)"), ""),  # (in ShopApp) / (File.swift:42)
    (re.compile(r"0x[0-9a-fA-F]+"), ""),
    (re.compile(r"\s*\+\s*\d+(?=\s|$)"), ""),  # + offset
    (re.compile(r"\bclosure #\d+"), "closure"),
    (re.compile(r"\bimplicit closure #\d+"), "implicit closure"),
    (re.compile(r"\s+"), " "),
]
_MESSAGE_NOISE = [
    (re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"), "<uuid>"),
    (re.compile(r"0x[0-9a-fA-F]+"), "<hex>"),
    (re.compile(r"\b[0-9a-fA-F]{12,}\b"), "<hex>"),
    (re.compile(r"\d+"), "<n>"),
    (re.compile(r"\s+"), " "),
]


@dataclass(frozen=True)
class Frame:
    """One normalized frame: ``name`` is build-independent; ``in_app`` is the app's own code."""

    name: str
    in_app: bool


@dataclass(frozen=True)
class Fingerprint:
    group_id: str
    exception_type: str
    frames: tuple[str, ...]
    title: str


def _sub_all(text: str, rules: Iterable[tuple[re.Pattern[str], str]]) -> str:
    for pattern, replacement in rules:
        text = pattern.sub(replacement, text)
    return text


def normalize_java_class(name: str) -> str:
    """A class name without lambda/synthetic/anonymous numbering (``A$$ExternalSyntheticLambda0`` -> ``A$$Lambda``)."""
    return _sub_all(name, _CLASS_NOISE)


def normalize_java_method(name: str) -> str:
    return _sub_all(name, _METHOD_NOISE)


def is_obfuscated_java(cls: str, method: str) -> bool:
    """R8/ProGuard output: the class's simple name and the method are one or two letters."""
    simple = cls.rsplit(".", 1)[-1].split("$", 1)[0]
    return bool(_OBFUSCATED_SEGMENT.match(simple)) and bool(_OBFUSCATED_SEGMENT.match(method))


def java_frames(stacktrace: str) -> list[Frame]:
    """Frames of the first (outermost) exception of a Java/Kotlin stack trace, top first."""
    frames: list[Frame] = []
    for line in stacktrace.splitlines():
        if line.strip().startswith("Caused by:") and frames:
            break
        match = _JAVA_FRAME.match(line)
        if not match:
            continue
        cls, method = match.group("cls"), match.group("method")
        if "/" in cls:  # module prefix in Java 9+ traces: app//com.x.Y.z or java.base/java.lang...
            cls = cls.rsplit("/", 1)[-1]
        if is_obfuscated_java(cls, method):
            frames.append(Frame("<obfuscated>", False))
            continue
        name = f"{normalize_java_class(cls)}.{normalize_java_method(method)}"
        frames.append(Frame(name, not cls.startswith(_JAVA_SYSTEM)))
    return frames


def native_frames(stacktrace: str) -> list[Frame]:
    """Frames of an Android tombstone backtrace: library base name and function without offset."""
    frames: list[Frame] = []
    for line in stacktrace.splitlines():
        match = _NATIVE_FRAME.match(line)
        if not match:
            continue
        lib = match.group("lib")
        func = (match.group("func") or "").strip()
        func = re.sub(r"\+\d+$", "", func)
        if func.startswith("BuildId:"):
            func = ""
        base = lib.rsplit("/", 1)[-1]
        base = re.sub(r"!.*$", "", base)  # lib inside an apk: base.apk!libapp.so
        in_app = not lib.startswith(_NATIVE_SYSTEM_DIRS)
        if "!" in lib:
            base = lib.rsplit("!", 1)[-1].rsplit("/", 1)[-1]
            in_app = True
        frames.append(Frame(f"{base}:{func}" if func else base, in_app))
    return frames


def _apple_in_app(binary: str) -> bool:
    return not (binary in _APPLE_SYSTEM_BINARIES or binary.startswith(("lib", "Core", "UIKit", "AV")))


def normalize_apple_symbol(symbol: str) -> str:
    """A symbol without offsets, addresses, file:line and closure numbering."""
    return _sub_all(symbol, _SWIFT_NOISE).strip()


def apple_frames(stacktrace: str) -> list[Frame]:
    """Frames of an Apple text backtrace (``N  Binary  0xADDR  symbol + offset``), top first."""
    frames: list[Frame] = []
    for line in stacktrace.splitlines():
        match = _APPLE_FRAME.match(line)
        if not match:
            continue
        binary = match.group("binary")
        symbol = normalize_apple_symbol(match.group("symbol"))
        if not symbol or symbol == binary:
            symbol = ""
        frames.append(Frame(f"{binary}:{symbol}" if symbol else binary, _apple_in_app(binary)))
    return frames


def _flatten_apple(frame: Any, out: list[dict[str, Any]]) -> None:
    """Apple's nested frames, depth first: a frame, then its sub-frames (its callers)."""
    if not isinstance(frame, dict) or len(out) >= 512:
        return
    out.append(frame)
    for sub in frame.get("subFrames") or []:
        _flatten_apple(sub, out)


def metrickit_frames(document: Any) -> list[Frame]:
    """Frames of a MetricKit call stack tree, crashing frame first, from the attributed thread.

    Accepts Apple's ``MXCallStackTree`` JSON (optionally under a ``callStackTree`` key;
    ``callStackRootFrames`` whose ``subFrames`` are the callers, innermost first) and
    opentelemetry-swift's simplified format (a flat ``callStackFrames`` list, innermost first).
    Unsymbolicated frames keep only their binary name: offsets and addresses move with every build."""
    if isinstance(document, dict) and isinstance(document.get("callStackTree"), dict):
        document = document["callStackTree"]
    stacks = document.get("callStacks") if isinstance(document, dict) else None
    if not isinstance(stacks, list) or not stacks:
        return []
    chosen = next((s for s in stacks if isinstance(s, dict) and s.get("threadAttributed")), stacks[0])
    if not isinstance(chosen, dict):
        return []
    raw_frames: list[dict[str, Any]] = []
    if isinstance(chosen.get("callStackFrames"), list):
        raw_frames = [f for f in chosen["callStackFrames"] if isinstance(f, dict)]
    else:
        for root in chosen.get("callStackRootFrames") or []:
            _flatten_apple(root, raw_frames)
    frames: list[Frame] = []
    for raw in raw_frames:
        binary = str(raw.get("binaryName") or "?")
        symbol = normalize_apple_symbol(str(raw.get("symbol") or raw.get("symbolName") or ""))
        frames.append(Frame(f"{binary}:{symbol}" if symbol else binary, _apple_in_app(binary)))
    return frames


def parse_frames(stacktrace: str) -> list[Frame]:
    """The frames of any supported stack format, top (crashing) frame first."""
    text = stacktrace.strip()
    if not text:
        return []
    if text.startswith("{"):
        try:
            return metrickit_frames(json.loads(text))
        except ValueError:
            pass
    for parser in (java_frames, native_frames, apple_frames):
        frames = parser(text)
        if frames:
            return frames
    return []


def _collapse(names: Iterable[str]) -> list[str]:
    """Consecutive repeats collapsed (recursion and unsymbolicated runs of one binary)."""
    out: list[str] = []
    for name in names:
        if not out or out[-1] != name:
            out.append(name)
    return out


def normalize_message(message: str) -> str:
    return _sub_all(message, _MESSAGE_NOISE).strip()[:200]


def key_frames(frames: list[Frame], count: int = TOP_FRAMES) -> list[str]:
    """The top ``count`` in-app frames; the crashing frame first when it is not in-app (so a crash
    inside libc.so or UIKit under the same app frames is one group); all frames when none is in-app."""
    usable = [f for f in frames if f.name != "<obfuscated>"]
    in_app = _collapse(f.name for f in usable if f.in_app)
    if not in_app:
        return _collapse(f.name for f in usable)[:count]
    chosen = in_app[:count]
    if usable and not usable[0].in_app:
        chosen = [usable[0].name, *chosen[: count - 1]]
    return chosen


def fingerprint(exception_type: str, stacktrace: str, message: str = "") -> Fingerprint:
    """The crash group of a crash. Stable across builds; see the module docstring."""
    type_name = (exception_type or "").strip() or "Crash"
    frames = key_frames(parse_frames(stacktrace or ""))
    basis = frames if frames else [f"message:{normalize_message(message)}"]
    digest = hashlib.sha256("\n".join([type_name, *basis]).encode()).hexdigest()[:16]
    short_type = type_name.rsplit(".", 1)[-1] if "." in type_name and " " not in type_name else type_name
    title = (
        f"{short_type} at {frames[0]}"
        if frames
        else (f"{short_type}: {message}"[:160] if message else short_type)
    )
    return Fingerprint(digest, type_name, tuple(frames), title)
