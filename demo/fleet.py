"""The fleet plan: which devices, app versions, networks, sessions and screens (pure, seeded).

Everything here is decided from the seed before anything runs, so the same seed gives the same
fleet, the same session ids and the same journeys. What happens on the wire (latency jitter,
which attempt is lost) is decided by each device's own seeded generator while it runs.

App versions follow an adoption curve: every user updates some time after a release, with a
delay drawn from a mixture of "updates within days" (most) and "rarely updates" (a few percent),
so the newest release (three days old) already holds a third to a half of the fleet and 18-month-old builds
keep a long tail around one percent.
"""

from __future__ import annotations

import itertools
import math
import random
import uuid
from dataclasses import dataclass, replace

from tracebridge.demo.catalog import (
    ANDROID_MODELS,
    EIGHTEEN_MONTHS_DAYS,
    IOS_MODELS,
    NETWORKS,
    ORDER_COUNT,
    PRODUCT_COUNT,
    RELEASES,
    SCREENS,
    SEARCH_QUERIES,
    NetworkProfile,
    Release,
)

ANDROID_SHARE = 0.56
LEGACY_INCLUDE = "include=legacy_items"  # sent by 3.x builds, whose serializer the backend broke

JOURNEY: dict[str, tuple[tuple[str, float], ...]] = {
    "Home": (("ProductDetail", 0.45), ("Search", 0.3), ("OrderDetail", 0.13), ("Cart", 0.12)),
    "Search": (("ProductDetail", 0.8), ("Home", 0.2)),
    "ProductDetail": (("ProductDetail", 0.25), ("Cart", 0.35), ("Home", 0.2), ("Search", 0.2)),
    "Cart": (("Checkout", 0.6), ("Home", 0.4)),
    "Checkout": (("OrderDetail", 0.6), ("Home", 0.4)),
    "OrderDetail": (("Home", 0.7), ("OrderDetail", 0.3)),
}


def legacy_serializer_fails(order_id: int) -> bool:
    """Orders the backend cannot render in the legacy format (answers 500 to 3.x builds)."""
    return order_id % 7 == 3


@dataclass(frozen=True)
class PlannedRequest:
    method: str
    target: str  # path and query, e.g. /v1/orders/123?include=legacy_items


@dataclass(frozen=True)
class Step:
    """One screen the user opens, the requests it makes, and whether the device is offline."""

    screen: str
    requests: tuple[PlannedRequest, ...]
    think_ms: int
    offline: bool = False


@dataclass(frozen=True)
class Segment:
    """One session id: a launch starts one, and a long time in the background rotates it."""

    session_id: str
    previous_id: str | None
    start_type: str  # cold (process start) or warm (back from the background)
    steps: tuple[Step, ...]
    background_minutes: int = 0  # time in the background before a rotated session starts


@dataclass(frozen=True)
class Launch:
    """One run of the app process, from start to exit (or crash)."""

    segments: tuple[Segment, ...]
    network: NetworkProfile
    can_crash: bool  # only a launch followed by another can crash: the report is sent on the next one
    planned_crash: str | None = None  # a crash that does not depend on a response ("oom", "ios_segv")
    defer_upload: bool = False  # the app was killed before exporting: spans go out on the next launch
    minutes_ago: int = 0  # when the launch started, before the demo ran (the fleet replays the recent past)


@dataclass(frozen=True)
class DevicePlan:
    index: int
    os_name: str  # Android | iOS
    release: Release
    manufacturer: str
    model: str
    os_version: str
    device_id: str
    clock_skew_ms: int  # device clock minus true time
    launches: tuple[Launch, ...]

    @property
    def session_count(self) -> int:
        return sum(len(launch.segments) for launch in self.launches)


def adoption_shares(os_name: str) -> list[float]:
    """Share of the fleet on each release (``RELEASES`` order), from the update-delay mixture."""
    fast_median, slow_median, slow_share = (2.5, 150.0, 0.08) if os_name == "iOS" else (4.0, 180.0, 0.12)

    def late(days: float) -> float:
        """Probability that a user's update delay exceeds ``days``."""

        def tail(median: float, sigma: float) -> float:
            return 0.5 * math.erfc((math.log(days) - math.log(median)) / (sigma * math.sqrt(2)))

        return (1 - slow_share) * tail(fast_median, 1.2) + slow_share * tail(slow_median, 1.0)

    ages = [release.age_days for release in RELEASES]
    shares = [1 - late(ages[0])]
    for newer, older in itertools.pairwise(ages[:-1]):
        shares.append(late(newer) - late(older))
    shares.append(late(ages[-2]))
    return shares


def plan_fleet(sessions: int, seed: int) -> list[DevicePlan]:
    """Devices whose sessions add up to exactly ``sessions``."""
    rng = random.Random(f"tracebridge-demo:{seed}:plan")
    shares = {os_name: adoption_shares(os_name) for os_name in ("Android", "iOS")}
    devices: list[DevicePlan] = []
    remaining = sessions
    while remaining > 0:
        index = len(devices)
        os_name = "Android" if rng.random() < ANDROID_SHARE else "iOS"
        if index == 1 and devices[0].os_name == os_name:
            os_name = "iOS" if os_name == "Android" else "Android"  # both platforms, even in a tiny fleet
        release = rng.choices(RELEASES, weights=shares[os_name])[0]
        device = _device(
            rng, index, os_name, release, remaining, force_two_launches=index == 0 and remaining >= 2
        )
        devices.append(device)
        remaining -= device.session_count
    devices = _with_story_guarantees(rng, devices)
    return [_with_history(random.Random(f"tracebridge-demo:{seed}:history:{d.index}"), d) for d in devices]


HISTORY_MINUTES = 180  # the fleet's sessions spread over the last three hours


def _with_history(rng: random.Random, device: DevicePlan) -> DevicePlan:
    """When each launch happened: the first some time in the last three hours, the next ones after
    the app was closed for a while; a rotated session follows more than 15 minutes in the
    background (opentelemetry-android's default inactivity timeout)."""
    ago = rng.randint(HISTORY_MINUTES // 6, HISTORY_MINUTES)
    launches = []
    for launch in device.launches:
        segments = tuple(
            replace(segment, background_minutes=rng.randint(16, 40) if position else 0)
            for position, segment in enumerate(launch.segments)
        )
        launches.append(replace(launch, segments=segments, minutes_ago=ago))
        spent = sum(segment.background_minutes for segment in segments) + 2
        ago = max(0, ago - spent - rng.randint(5, 45))
    return replace(device, launches=tuple(launches))


def _device(
    rng: random.Random,
    index: int,
    os_name: str,
    release: Release,
    remaining: int,
    force_two_launches: bool = False,
) -> DevicePlan:
    if os_name == "Android":
        android = rng.choice(ANDROID_MODELS)
        manufacturer, model, os_versions = android.manufacturer, android.model, android.os_versions
        device_id = f"{rng.getrandbits(64):016x}"
    else:
        ios = rng.choice(IOS_MODELS)
        manufacturer, model, os_versions = "Apple", ios.identifier, ios.os_versions
        device_id = _uuid(rng).upper()
    # Old builds live on old phones: a device stuck on a release this old rarely runs the newest OS.
    os_version = os_versions[0] if release.age_days > 300 else rng.choice(os_versions)
    launches_wanted = max(2 if force_two_launches else 1, rng.choice((1, 1, 2, 2, 3)))
    launches: list[Launch] = []
    previous: str | None = None
    used = 0
    for _ in range(launches_wanted):
        if used >= remaining:
            break
        rotate = rng.random() < 0.15 and remaining - used >= 2
        segment_count = 2 if rotate else 1
        segments: list[Segment] = []
        for position in range(segment_count):
            session_id = _session_id(rng, os_name)
            steps = _journey(rng, release, os_name)
            segments.append(Segment(session_id, previous, "cold" if position == 0 else "warm", steps))
            previous = session_id
        used += segment_count
        launches.append(
            Launch(
                segments=tuple(segments),
                network=rng.choices(NETWORKS, weights=[n.weight for n in NETWORKS])[0],
                can_crash=False,
                defer_upload=rng.random() < 0.12,
            )
        )
    launches = _with_offline_windows(rng, launches)
    launches = [
        replace(
            launch,
            can_crash=i < len(launches) - 1,
            planned_crash=_planned_crash(rng, os_name) if i < len(launches) - 1 else None,
        )
        for i, launch in enumerate(launches)
    ]
    return DevicePlan(
        index,
        os_name,
        release,
        manufacturer,
        model,
        os_version,
        device_id,
        _clock_skew_ms(rng),
        tuple(launches),
    )


def _planned_crash(rng: random.Random, os_name: str) -> str | None:
    """Crashes that happen whatever the backend answers (memory pressure, a native bug)."""
    if rng.random() < 0.08:
        return "oom" if os_name == "Android" else "ios_segv"
    return None


def _clock_skew_ms(rng: random.Random) -> int:
    """Most phones sync their clock; a quarter are minutes off (manual time, no NITZ, dead RTC)."""
    roll = rng.random()
    sign = rng.choice((-1, 1))
    if roll < 0.25:
        return sign * rng.randint(60_000, 9 * 60_000)
    if roll < 0.35:
        return sign * rng.randint(5_000, 45_000)
    return sign * rng.randint(0, 1_500)


def _journey(rng: random.Random, release: Release, os_name: str) -> tuple[Step, ...]:
    length = rng.randint(3, 7)
    screens = ["Home"]
    while len(screens) < length:
        options = JOURNEY[screens[-1]]
        screens.append(rng.choices([s for s, _ in options], weights=[w for _, w in options])[0])
    return tuple(
        Step(screen, _requests(rng, screen, release, os_name), think_ms=rng.randint(30, 160))
        for screen in screens
    )


def _requests(rng: random.Random, screen: str, release: Release, os_name: str) -> tuple[PlannedRequest, ...]:
    out = []
    for method, template in SCREENS[screen]:
        target = template
        if "{product}" in target:
            target = target.replace("{product}", str(rng.randint(1, PRODUCT_COUNT)))
        if "{query}" in target:
            target = target.replace("{query}", rng.choice(SEARCH_QUERIES).replace(" ", "+"))
        if "{order}" in target:
            order = rng.randint(1, ORDER_COUNT)
            if release.major < 4 and os_name == "Android" and rng.random() < 0.5:
                while not legacy_serializer_fails(order):  # the old build's customers' old orders
                    order = rng.randint(1, ORDER_COUNT)
            target = target.replace("{order}", str(order))
            if release.major < 4:
                target += f"?{LEGACY_INCLUDE}"
        out.append(PlannedRequest(method, target))
    return tuple(out)


def _with_offline_windows(rng: random.Random, launches: list[Launch]) -> list[Launch]:
    """About one launch in six loses connectivity for one or two screens (a tunnel, a lift)."""
    out = []
    for launch in launches:
        if rng.random() < 0.16:
            segment = launch.segments[0]
            if len(segment.steps) >= 3:
                start = rng.randint(1, len(segment.steps) - 2)
                stop = min(len(segment.steps) - 1, start + rng.randint(1, 2))
                steps = tuple(
                    replace(step, offline=start <= i < stop) for i, step in enumerate(segment.steps)
                )
                launch = replace(launch, segments=(replace(segment, steps=steps), *launch.segments[1:]))
        out.append(launch)
    return out


def _with_story_guarantees(rng: random.Random, devices: list[DevicePlan]) -> list[DevicePlan]:
    """Small fleets still tell every story: an 18-month-old Android build, a device whose clock is
    minutes off, and at least one crash (a device that crashes, then launches again and reports)."""
    if len(devices) >= 3 and not any(d.release.age_days >= EIGHTEEN_MONTHS_DAYS for d in devices):
        androids = [d for d in devices if d.os_name == "Android"]
        if androids:
            old = next(r for r in RELEASES if r.age_days >= EIGHTEEN_MONTHS_DAYS)
            target = androids[-1]
            devices[target.index] = replace(target, release=old, launches=_legacy_launches(rng, target, old))
    if len(devices) >= 2 and not any(abs(d.clock_skew_ms) >= 60_000 for d in devices):
        devices[1] = replace(devices[1], clock_skew_ms=rng.choice((-1, 1)) * rng.randint(120_000, 480_000))
    crash_possible = any(_may_crash(d) for d in devices)
    if not crash_possible:
        first = devices[0]
        if len(first.launches) >= 2:
            kind = "oom" if first.os_name == "Android" else "ios_segv"
            launches = (replace(first.launches[0], planned_crash=kind), *first.launches[1:])
            devices[0] = replace(first, launches=launches)
    return devices


def _may_crash(device: DevicePlan) -> bool:
    """Whether the plan already holds a crash that a later launch reports (crashes happen only in
    the last session of a launch, so that every planned session runs)."""
    for launch in device.launches:
        if not launch.can_crash:
            continue
        if launch.planned_crash:
            return True
        legacy_android = device.os_name == "Android" and device.release.major < 4
        if legacy_android and any(
            LEGACY_INCLUDE in r.target and legacy_serializer_fails(int(r.target.split("/")[3].split("?")[0]))
            for st in launch.segments[-1].steps
            for r in st.requests
        ):
            return True
    return False


def _legacy_launches(rng: random.Random, device: DevicePlan, release: Release) -> tuple[Launch, ...]:
    """Re-plan a device's journeys for an old release (its requests carry the legacy include)."""
    out = []
    for launch in device.launches:
        segments = tuple(
            replace(
                s,
                steps=tuple(
                    replace(st, requests=_requests(rng, st.screen, release, device.os_name)) for st in s.steps
                ),
            )
            for s in launch.segments
        )
        out.append(replace(launch, segments=segments))
    return tuple(out)


def _session_id(rng: random.Random, os_name: str) -> str:
    """opentelemetry-android: 32 lowercase hex digits; opentelemetry-swift: an uppercase UUID."""
    if os_name == "Android":
        return f"{rng.getrandbits(128):032x}"
    return _uuid(rng).upper()


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))
