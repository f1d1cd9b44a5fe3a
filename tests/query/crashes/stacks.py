"""Realistic crash stacks as mobile SDKs report them, with knobs for what changes between builds."""

from __future__ import annotations

import json
from typing import Any


def java_checkout_crash(line: int = 42, lambda_index: int = 0, synthetic_line: int = 2) -> str:
    """A Kotlin IllegalStateException thrown from a click listener (opentelemetry-android shape:
    Throwable.stackTraceToString())."""
    return (
        "java.lang.IllegalStateException: Cart is empty for user 81234\n"
        f"\tat com.shop.checkout.CheckoutViewModel.submitOrder(CheckoutViewModel.kt:{line})\n"
        f"\tat com.shop.checkout.CheckoutFragment.onViewCreated$lambda$3(CheckoutFragment.kt:{line + 27})\n"
        f"\tat com.shop.checkout.CheckoutFragment$$ExternalSyntheticLambda{lambda_index}.onClick"
        f"(D8$$SyntheticClass:{synthetic_line})\n"
        "\tat android.view.View.performClick(View.java:7659)\n"
        "\tat android.view.View.performClickInternal(View.java:7636)\n"
        "\tat android.view.View.-$$Nest$mperformClickInternal(Unknown Source:0)\n"
        "\tat android.view.View$PerformClick.run(View.java:30156)\n"
        "\tat android.os.Handler.handleCallback(Handler.java:958)\n"
        "\tat android.os.Handler.dispatchMessage(Handler.java:99)\n"
        "\tat android.os.Looper.loopOnce(Looper.java:205)\n"
        "\tat android.os.Looper.loop(Looper.java:294)\n"
        "\tat android.app.ActivityThread.main(ActivityThread.java:8177)\n"
        "\tat java.lang.reflect.Method.invoke(Native Method)\n"
        "\tat com.android.internal.os.RuntimeInit$MethodAndArgsCaller.run(RuntimeInit.java:552)\n"
        "\tat com.android.internal.os.ZygoteInit.main(ZygoteInit.java:971)\n"
    )


def java_npe_crash(line: int = 88) -> str:
    """Another crash: a NullPointerException in the product list adapter, with a cause."""
    return (
        "java.lang.NullPointerException: Attempt to invoke virtual method 'java.lang.String "
        "com.shop.model.Product.getName()' on a null object reference\n"
        f"\tat com.shop.catalog.ProductAdapter.onBindViewHolder(ProductAdapter.kt:{line})\n"
        f"\tat com.shop.catalog.ProductAdapter.onBindViewHolder(ProductAdapter.kt:{line - 60})\n"
        "\tat androidx.recyclerview.widget.RecyclerView$Adapter.onBindViewHolder(RecyclerView.java:7254)\n"
        "\tat androidx.recyclerview.widget.RecyclerView$Adapter.bindViewHolder(RecyclerView.java:7337)\n"
        "\tat android.os.Looper.loop(Looper.java:294)\n"
        "Caused by: java.lang.IllegalArgumentException: bad product\n"
        "\tat com.shop.model.Product.<init>(Product.kt:12)\n"
    )


def obfuscated_checkout_crash(mapping: str = "a") -> str:
    """The checkout crash from an R8-minified release build: the app classes are renamed per build
    but the kept entry points (the view model's public API) are not."""
    return (
        "java.lang.IllegalStateException: Cart is empty\n"
        f"\tat com.shop.checkout.{mapping}.{mapping}(SourceFile:3)\n"
        "\tat com.shop.checkout.CheckoutViewModel.submitOrder(SourceFile:1)\n"
        "\tat com.shop.checkout.CheckoutFragment$$ExternalSyntheticLambda1.onClick(SourceFile:7)\n"
        "\tat android.view.View.performClick(View.java:7659)\n"
    )


def native_sigsegv(pc_shift: int = 0) -> str:
    """An Android tombstone backtrace of a SIGSEGV in the app's image decoder."""
    return (
        "backtrace:\n"
        f"  #00 pc {0x4F2C8 + pc_shift:016x}  /system/lib64/libc.so (abort+{164 + pc_shift % 7})\n"
        f"  #01 pc {0x1A2B0 + pc_shift:016x}  /data/app/~~q1w2e3==/com.shop-Zx9==/lib/arm64/libimagecodec.so "
        f"(decode_row+{88 + pc_shift}) (BuildId: 9f2c{pc_shift:04x})\n"
        f"  #02 pc {0x1A004 + pc_shift:016x}  /data/app/~~q1w2e3==/com.shop-Zx9==/lib/arm64/libimagecodec.so "
        f"(Java_com_shop_image_Decoder_nativeDecode+{312 + pc_shift})\n"
        "  #03 pc 0000000000355a30  /apex/com.android.art/lib64/libart.so (art_quick_generic_jni_trampoline+144)\n"
    )


def apple_text_crash(offset: int = 123, address: int = 0x104A5C3D4) -> str:
    """An iOS crash report backtrace (PLCrashReporter/KSCrash text) from a Swift app."""
    return (
        f"0   libswiftCore.dylib            0x{0x19A3B1E0C:016x} _assertionFailure(_:_:file:line:flags:) + 264\n"
        f"1   ShopApp                       0x{address:016x} CartStore.checkout(items:) + {offset}\n"
        f"2   ShopApp                       0x{address + 0x400:016x} closure #2 in CheckoutView.body.getter + {offset + 40}"
        " (CheckoutView.swift:57)\n"
        f"3   SwiftUI                       0x00000001a1b2c3d4 0x1a1000000 + {offset * 3}\n"
        "4   UIKitCore                     0x00000001899e8b4c -[UIApplication sendAction:to:from:forEvent:] + 100\n"
    )


_UUID = "8C2F9D1E-5B7A-3C44-9E21-0A6B1F2D3E4F"


def _crashed_thread(offset_shift: int, app_binary: str) -> list[tuple[str, int]]:
    """(binary, offset) of the crashed thread, innermost (crashing) frame first."""
    return [
        ("libsystem_kernel.dylib", 31_412),
        (app_binary, 90_112 + offset_shift),
        (app_binary, 88_004 + offset_shift),
        ("UIKitCore", 4_015_220),
        ("dyld", 68_312),
    ]


def metrickit_call_stack_tree(offset_shift: int = 0, app_binary: str = "ShopApp") -> str:
    """Apple's MXCallStackTree JSON for a crash (callStackPerThread): the root frame is the crashing
    frame and each frame's subFrames hold its caller; another idle thread comes first."""
    node: dict[str, Any] | None = None
    for binary, offset in reversed(_crashed_thread(offset_shift, app_binary)):
        node = {
            "binaryUUID": _UUID,
            "offsetIntoBinaryTextSegment": offset,
            "sampleCount": 1,
            "binaryName": binary,
            "address": 7_000_000_000 + offset,
            "subFrames": [node] if node else [],
        }
    idle = {
        "binaryUUID": _UUID,
        "offsetIntoBinaryTextSegment": 1234,
        "sampleCount": 1,
        "binaryName": "libsystem_kernel.dylib",
        "address": 7_000_001_234,
    }
    tree = {
        "callStacks": [
            {"threadAttributed": False, "callStackRootFrames": [idle]},
            {"threadAttributed": True, "callStackRootFrames": [node]},
        ],
        "callStackPerThread": True,
    }
    return json.dumps(tree)


def otel_swift_call_stacks(offset_shift: int = 0, app_binary: str = "ShopApp") -> str:
    """The same crash in opentelemetry-swift's simplified format (flat callStackFrames, innermost first)."""
    frames = [
        {"binaryUUID": _UUID, "offsetAddress": offset, "binaryName": binary}
        for binary, offset in _crashed_thread(offset_shift, app_binary)
    ]
    return json.dumps(
        {"callStackPerThread": True, "callStacks": [{"threadAttributed": True, "callStackFrames": frames}]}
    )
