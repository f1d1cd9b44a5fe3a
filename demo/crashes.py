"""Crash reports as the mobile SDKs record them, and the bugs that cause them.

- opentelemetry-android: an ``app.crash`` event (scope ``io.opentelemetry.crash``) with
  ``exception.type`` / ``exception.message`` / ``exception.stacktrace`` (a Java stack),
  ``thread.id`` / ``thread.name`` and the crashed session's ``session.id``, emitted in the context
  of the span that was active, written at crash time and sent on the next launch.
- opentelemetry-swift MetricKit: a ``metrickit.diagnostic.crash`` record (scope ``MetricKit``)
  delivered on the next launch, with the ``metrickit.diagnostic.crash.exception.*`` facts, the
  standard ``exception.*`` attributes and the JSON call-stack format, and no session id.

Line numbers and binary offsets depend on the build, as they do between real releases.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

from tracebridge.demo.catalog import Release

ANDROID_CRASH_SCOPE = "io.opentelemetry.crash"
ANDROID_CRASH_EVENT = "app.crash"
METRICKIT_SCOPE = "MetricKit"
METRICKIT_CRASH = "metrickit.diagnostic.crash"


@dataclass(frozen=True)
class CrashOutcome:
    """What the last request of a screen ended with, the input of the response-driven bugs."""

    screen: str
    status: int  # 0 when no answer arrived
    failed: bool  # timed out, offline, or 5xx after the retries


def response_crash(os_name: str, release: Release, outcome: CrashOutcome, rng: random.Random) -> str | None:
    """The app's known bugs: which crash (if any) this outcome triggers on this build."""
    if (
        os_name == "Android"
        and release.major < 4
        and outcome.screen == "OrderDetail"
        and outcome.status == 500
    ):
        return "legacy_json"  # 3.x parses the error body as an order
    ios_411_cart = (
        os_name == "iOS" and release.version.startswith("4.11") and outcome.screen in ("Cart", "Checkout")
    )
    # 4.11 reads a null message out of an error payload (or the missing payload of a timeout)
    if ios_411_cart and (outcome.status >= 500 or (outcome.failed and rng.random() < 0.5)):
        return "ios_checkout"
    # shipped in 4.10, fixed in 4.12: the callback of a request that gave up touches a detached fragment
    android_410 = os_name == "Android" and release.version.startswith(("4.10", "4.11"))
    if android_410 and outcome.failed and rng.random() < 0.6:
        return "fragment_detached"
    return None


def _java_stack(header: str, frames: list[str]) -> str:
    return header + "".join(f"\n\tat {frame}" for frame in frames)


def android_crash(kind: str, release: Release) -> dict[str, Any]:
    """``exception.*`` attributes of an Android crash of the given kind on the given build."""
    b = release.build % 997  # the build moves line numbers, as a real release does
    looper = [
        "android.os.Handler.handleCallback(Handler.java:958)",
        "android.os.Handler.dispatchMessage(Handler.java:99)",
        "android.os.Looper.loopOnce(Looper.java:205)",
        "android.os.Looper.loop(Looper.java:294)",
        "android.app.ActivityThread.main(ActivityThread.java:8177)",
        "java.lang.reflect.Method.invoke(Native Method)",
        "com.android.internal.os.ZygoteInit.main(ZygoteInit.java:971)",
    ]
    if kind == "legacy_json":
        kind_type, message = "com.squareup.moshi.JsonDataException", "Required value 'items' missing at $"
        frames = [
            "com.squareup.moshi.internal.Util.missingProperty(Util.java:649)",
            f"com.example.shop.data.OrderJsonAdapter.fromJson(OrderJsonAdapter.kt:{88 + b % 9})",
            f"com.example.shop.orders.OrderDetailViewModel$load$1.invokeSuspend(OrderDetailViewModel.kt:{41 + b % 13})",
            "kotlin.coroutines.jvm.internal.BaseContinuationImpl.resumeWith(ContinuationImpl.kt:33)",
            "kotlinx.coroutines.DispatchedTask.run(DispatchedTask.kt:108)",
            *looper,
        ]
    elif kind == "fragment_detached":
        kind_type = "java.lang.IllegalStateException"
        message = f"Fragment ProductListFragment{{{b * 7919 % 0xFFFFFFF:07x}}} not attached to a context."
        frames = [
            "androidx.fragment.app.Fragment.requireContext(Fragment.java:972)",
            f"com.example.shop.catalog.ProductListFragment.showError(ProductListFragment.kt:{120 + b % 17})",
            f"com.example.shop.catalog.ProductListFragment$onViewCreated$2.invoke(ProductListFragment.kt:{64 + b % 11})",
            "com.example.shop.net.ApiCallback.onFailure(ApiCallback.kt:27)",
            "okhttp3.internal.connection.RealCall$AsyncCall.run(RealCall.kt:525)",
            *looper,
        ]
    elif kind == "checkout_v2":  # issue 14: the new checkout behind the new_checkout flag
        kind_type = "java.lang.IllegalStateException"
        message = "PaymentSheet result delivered after CheckoutV2Fragment was destroyed"
        frames = [
            f"com.example.shop.checkout.v2.CheckoutV2Fragment.onPaymentResult(CheckoutV2Fragment.kt:{143 + b % 19})",
            "com.example.shop.checkout.v2.PaymentSheetLauncher$register$1.onActivityResult(PaymentSheetLauncher.kt:38)",
            "androidx.activity.result.ActivityResultRegistry.dispatchResult(ActivityResultRegistry.java:407)",
            *looper,
        ]
    else:  # oom
        kind_type = "java.lang.OutOfMemoryError"
        message = (
            "Failed to allocate a 25165836 byte allocation with 8388608 free bytes and 19MB until OOM, "
            "target footprint 268435456, growth limit 268435456"
        )
        frames = [
            "android.graphics.BitmapFactory.nativeDecodeStream(Native Method)",
            "android.graphics.BitmapFactory.decodeStream(BitmapFactory.java:790)",
            f"com.example.shop.images.ImageLoader.decode(ImageLoader.kt:{210 + b % 23})",
            f"com.example.shop.catalog.ProductGalleryAdapter.onBindViewHolder(ProductGalleryAdapter.kt:{55 + b % 7})",
            "androidx.recyclerview.widget.RecyclerView$Adapter.bindViewHolder(RecyclerView.java:7254)",
            *looper,
        ]
    return {
        "exception.type": kind_type,
        "exception.message": message,
        "exception.stacktrace": _java_stack(f"{kind_type}: {message}", frames),
    }


_APP_UUID = "5E1D4C0A-3B7F-3C1E-9A52-{build:012X}"
_SYSTEM_FRAMES = [
    ("libsystem_kernel.dylib", "4C4D5E0F-0A1B-3C2D-8E9F-101112131415", 38196),
    ("CoreFoundation", "0C4A5B6D-7E8F-3A1B-9C2D-3E4F5A6B7C8D", 1040528),
    ("UIKitCore", "6F7A8B9C-0D1E-3F2A-8B3C-4D5E6F7A8B9C", 5214312),
    ("dyld", "9A8B7C6D-5E4F-3A2B-9C1D-0E1F2A3B4C5D", 24796),
]


def ios_crash(kind: str, release: Release) -> dict[str, Any]:
    """MetricKit crash diagnostic attributes (opentelemetry-swift's names) of the given kind."""
    app_uuid = _APP_UUID.format(build=release.build)
    shift = release.build % 4096 * 16  # another build, other offsets
    if kind == "ios_checkout":
        app_offsets = [1_204_512 + shift, 1_188_040 + shift, 402_116 + shift]
        namespaced: dict[str, Any] = {
            "exception.mach_exception.type": 10,
            "exception.mach_exception.name": "EXC_CRASH",
            "exception.mach_exception.description": "Abnormal process exit",
            "exception.code": 0,
            "exception.signal": 6,
            "exception.signal.name": "SIGABRT",
            "exception.signal.description": "abort()",
            "exception.termination_reason": "Namespace SIGNAL, Code 6 Abort trap: 6",
            "exception.objc.type": "NSInvalidArgumentException",
            "exception.objc.name": "NSInvalidArgumentException",
            "exception.objc.message": "-[NSNull length]: unrecognized selector sent to instance 0x1f4e2c0a8",
            "exception.objc.classname": "NSNull",
        }
        otel_type, otel_message = "NSInvalidArgumentException", namespaced["exception.objc.message"]
    else:  # ios_segv
        app_offsets = [2_310_144 + shift, 2_298_880 + shift, 402_116 + shift]
        namespaced = {
            "exception.mach_exception.type": 1,
            "exception.mach_exception.name": "EXC_BAD_ACCESS",
            "exception.mach_exception.description": "Could not access memory",
            "exception.code": 1,
            "exception.signal": 11,
            "exception.signal.name": "SIGSEGV",
            "exception.signal.description": "segmentation violation",
            "exception.termination_reason": "Namespace SIGNAL, Code 11 Segmentation fault: 11",
        }
        otel_type, otel_message = "EXC_BAD_ACCESS", "Could not access memory"
    crashed = [{"binaryName": "ShopApp", "binaryUUID": app_uuid, "offsetAddress": o} for o in app_offsets]
    crashed += [{"binaryName": n, "binaryUUID": u, "offsetAddress": o} for n, u, o in _SYSTEM_FRAMES]
    stack = {
        "callStackPerThread": True,
        "callStacks": [{"threadAttributed": True, "callStackFrames": crashed}],
    }
    attributes: dict[str, Any] = {"name": METRICKIT_CRASH}
    attributes.update({f"{METRICKIT_CRASH}.{key}": value for key, value in namespaced.items()})
    attributes.update(
        {
            "exception.type": otel_type,
            "exception.message": otel_message,
            "exception.stacktrace": json.dumps(stack, separators=(",", ":")),
        }
    )
    return attributes
