"""Unit tests of the pure crash fingerprint functions (no server)."""

from __future__ import annotations

import json

from tests.query.crashes import stacks
from tracebridge.query.crashes.fingerprint import (
    apple_frames,
    fingerprint,
    java_frames,
    key_frames,
    metrickit_frames,
    native_frames,
    normalize_java_class,
    normalize_java_method,
    parse_frames,
)

JAVA_TYPE = "java.lang.IllegalStateException"


def test_java_frames_are_parsed_top_first_and_marked_in_app() -> None:
    frames = java_frames(stacks.java_checkout_crash())
    assert frames[0].name == "com.shop.checkout.CheckoutViewModel.submitOrder"
    assert frames[0].in_app
    assert frames[1].name == "com.shop.checkout.CheckoutFragment.onViewCreated$lambda"
    assert frames[2].name == "com.shop.checkout.CheckoutFragment$$Lambda.onClick"
    assert not frames[3].in_app and frames[3].name == "android.view.View.performClick"


def test_java_lambda_and_synthetic_noise_is_removed() -> None:
    assert normalize_java_class("com.x.A$$ExternalSyntheticLambda7") == "com.x.A$$Lambda"
    assert normalize_java_class("com.x.A$1") == "com.x.A$"
    assert normalize_java_class("com.x.A$$Lambda$12/0x00000008001b2c40") == "com.x.A$$Lambda"
    assert normalize_java_method("lambda$onCreate$4") == "lambda$onCreate"
    assert normalize_java_method("onViewCreated$lambda$3") == "onViewCreated$lambda"
    assert normalize_java_method("access$000") == "access$"


def test_same_java_crash_from_another_build_has_the_same_group() -> None:
    one = fingerprint(
        JAVA_TYPE, stacks.java_checkout_crash(line=42, lambda_index=0), "Cart is empty for user 1"
    )
    two = fingerprint(
        JAVA_TYPE, stacks.java_checkout_crash(line=57, lambda_index=3, synthetic_line=9), "other"
    )
    assert one.group_id == two.group_id
    assert one.title == "IllegalStateException at com.shop.checkout.CheckoutViewModel.submitOrder"


def test_other_exception_or_other_code_path_is_another_group() -> None:
    base = fingerprint(JAVA_TYPE, stacks.java_checkout_crash())
    other_type = fingerprint("java.lang.IllegalArgumentException", stacks.java_checkout_crash())
    other_path = fingerprint("java.lang.NullPointerException", stacks.java_npe_crash())
    assert len({base.group_id, other_type.group_id, other_path.group_id}) == 3


def test_caused_by_frames_do_not_leak_into_the_top_exception() -> None:
    frames = java_frames(stacks.java_npe_crash())
    assert all("Product.<init>" not in f.name for f in frames)
    assert key_frames(frames) == ["com.shop.catalog.ProductAdapter.onBindViewHolder"]


def test_r8_obfuscated_frames_are_ignored() -> None:
    one = fingerprint(JAVA_TYPE, stacks.obfuscated_checkout_crash("a"))
    two = fingerprint(JAVA_TYPE, stacks.obfuscated_checkout_crash("b"))
    assert one.group_id == two.group_id
    assert one.frames[0] == "com.shop.checkout.CheckoutViewModel.submitOrder"


def test_native_backtrace_ignores_pcs_offsets_and_build_ids() -> None:
    frames = native_frames(stacks.native_sigsegv())
    assert [f.name for f in frames[:3]] == [
        "libc.so:abort",
        "libimagecodec.so:decode_row",
        "libimagecodec.so:Java_com_shop_image_Decoder_nativeDecode",
    ]
    assert not frames[0].in_app and frames[1].in_app and not frames[3].in_app
    assert (
        fingerprint("SIGSEGV", stacks.native_sigsegv(0)).group_id
        == fingerprint("SIGSEGV", stacks.native_sigsegv(4096)).group_id
    )
    assert (
        fingerprint("SIGSEGV", stacks.native_sigsegv()).group_id
        != fingerprint("SIGABRT", stacks.native_sigsegv()).group_id
    )


def test_apple_text_backtrace_drops_addresses_offsets_and_closure_numbers() -> None:
    frames = apple_frames(stacks.apple_text_crash())
    assert frames[1].name == "ShopApp:CartStore.checkout(items:)"
    assert frames[2].name == "ShopApp:closure in CheckoutView.body.getter"
    assert not frames[0].in_app and frames[1].in_app
    one = fingerprint("EXC_BREAKPOINT", stacks.apple_text_crash(offset=123, address=0x104A5C3D4))
    two = fingerprint("EXC_BREAKPOINT", stacks.apple_text_crash(offset=311, address=0x1022F0000))
    assert one.group_id == two.group_id


def test_metrickit_tree_is_read_from_the_crashing_frame_and_ignores_offsets() -> None:
    frames = metrickit_frames(json.loads(stacks.metrickit_call_stack_tree()))
    assert [f.name for f in frames] == ["libsystem_kernel.dylib", "ShopApp", "ShopApp", "UIKitCore", "dyld"]
    assert [f.in_app for f in frames] == [False, True, True, False, False]
    assert parse_frames(stacks.metrickit_call_stack_tree()) == frames
    assert parse_frames(stacks.otel_swift_call_stacks()) == frames
    wrapped = json.dumps({"callStackTree": json.loads(stacks.metrickit_call_stack_tree())})
    assert parse_frames(wrapped) == frames
    one = fingerprint("EXC_BAD_ACCESS", stacks.metrickit_call_stack_tree(0))
    two = fingerprint("EXC_BAD_ACCESS", stacks.metrickit_call_stack_tree(5000))
    other_app = fingerprint("EXC_BAD_ACCESS", stacks.metrickit_call_stack_tree(0, app_binary="ShopWidget"))
    simplified = fingerprint("EXC_BAD_ACCESS", stacks.otel_swift_call_stacks(777))
    assert one.group_id == two.group_id == simplified.group_id != other_app.group_id


def test_without_frames_the_message_shape_groups() -> None:
    one = fingerprint("ANR", "", "Input dispatching timed out (42 ms) for 0x7f3a")
    two = fingerprint("ANR", "", "Input dispatching timed out (97 ms) for 0x11aa")
    three = fingerprint("ANR", "", "Broadcast of Intent timed out")
    assert one.group_id == two.group_id != three.group_id
    assert parse_frames("not a stack at all") == []
    assert parse_frames("{broken json") == []
