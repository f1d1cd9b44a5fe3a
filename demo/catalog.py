"""The demo's static world: app releases, device models, OS versions, networks, screens.

Values look like what the OpenTelemetry mobile SDKs report: Android ``Build.MODEL`` strings as
``device.model.identifier``, iOS ``hw.machine`` identifiers (``iPhone15,2``), iOS app versions as
``CFBundleShortVersionString (CFBundleVersion)``.
"""

from __future__ import annotations

from dataclasses import dataclass

DAY_S = 86_400


@dataclass(frozen=True)
class Release:
    """One app release; ``age_days`` is how long ago it shipped."""

    version: str
    build: int
    age_days: int

    def service_version(self, os_name: str) -> str:
        """``service.version`` as each SDK sets it (iOS appends the bundle build number)."""
        return f"{self.version} ({self.build})" if os_name == "iOS" else self.version

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])


# Newest first. 3.9.4 and 3.7.0 are 18 and 20 months old: the long tail that never updates.
RELEASES: tuple[Release, ...] = (
    Release("4.12.0", 41200, 3),
    Release("4.11.2", 41102, 20),
    Release("4.10.1", 41001, 47),
    Release("4.8.3", 40803, 104),
    Release("4.6.0", 40600, 190),
    Release("4.2.1", 40201, 330),
    Release("3.9.4", 30904, 545),
    Release("3.7.0", 30700, 610),
)
EIGHTEEN_MONTHS_DAYS = 540


@dataclass(frozen=True)
class AndroidModel:
    manufacturer: str
    model: str  # Build.MODEL: opentelemetry-android reports it as both device.model.name and .identifier
    os_versions: tuple[str, ...]


@dataclass(frozen=True)
class IosModel:
    identifier: str  # hw.machine
    os_versions: tuple[str, ...]


ANDROID_MODELS: tuple[AndroidModel, ...] = (
    AndroidModel("Google", "Pixel 8", ("14", "15")),
    AndroidModel("Google", "Pixel 6a", ("13", "14")),
    AndroidModel("samsung", "SM-S911B", ("13", "14")),
    AndroidModel("samsung", "SM-A546B", ("13", "14")),
    AndroidModel("Xiaomi", "23021RAA2Y", ("12", "13")),
    AndroidModel("motorola", "moto g(30)", ("11", "12")),
    AndroidModel("samsung", "SM-G973F", ("10", "11", "12")),
)
ANDROID_API_LEVEL = {"10": 29, "11": 30, "12": 31, "13": 33, "14": 34, "15": 35}
ANDROID_BUILD_ID = {
    "10": "QP1A.190711.020",
    "11": "RP1A.200720.012",
    "12": "SP1A.210812.016",
    "13": "TQ3A.230901.001",
    "14": "UQ1A.240205.004",
    "15": "AP3A.241105.007",
}

IOS_MODELS: tuple[IosModel, ...] = (
    IosModel("iPhone16,1", ("17.7.2", "18.5.0")),
    IosModel("iPhone15,2", ("17.7.2", "18.3.2", "18.5.0")),
    IosModel("iPhone14,5", ("16.7.11", "17.7.2", "18.5.0")),
    IosModel("iPhone13,2", ("16.7.11", "17.7.2")),
    IosModel("iPhone12,1", ("16.7.11",)),
)
IOS_BUILD_ID = {"16.7.11": "20H360", "17.7.2": "21H221", "18.3.2": "22D82", "18.5.0": "22F76"}


@dataclass(frozen=True)
class NetworkProfile:
    """A link: round trip added to every request, loss per attempt, and the SDK's attributes."""

    name: str
    connection_type: str  # network.connection.type: wifi | cell
    subtype: str  # network.connection.subtype as the SDKs report it ("LTE", "NR", "UMTS"), "" on wifi
    rtt_ms: tuple[int, int]
    loss: float  # probability that one attempt is lost (request or response)
    kbps: int  # downlink bandwidth, for the transfer time of the response body
    weight: float
    carrier: tuple[str, str, str, str] | None = None  # name, mcc, mnc, icc


NETWORKS: tuple[NetworkProfile, ...] = (
    NetworkProfile("wifi", "wifi", "", (15, 60), 0.005, 20_000, 0.45),
    NetworkProfile("5g", "cell", "NR", (25, 55), 0.008, 50_000, 0.08, ("T-Mobile", "310", "260", "us")),
    NetworkProfile("4g", "cell", "LTE", (55, 140), 0.015, 8_000, 0.28, ("Verizon", "311", "480", "us")),
    NetworkProfile("3g", "cell", "UMTS", (250, 600), 0.04, 600, 0.12, ("AT&T", "310", "410", "us")),
    NetworkProfile("roaming", "cell", "LTE", (380, 950), 0.07, 1_500, 0.07, ("Orange F", "208", "01", "fr")),
)

# Screens of the shop app and the requests each one makes: (method, path template).
SCREENS: dict[str, tuple[tuple[str, str], ...]] = {
    "Home": (("GET", "/v1/products?page=1"),),
    "Search": (("GET", "/v1/products?q={query}"),),
    "ProductDetail": (("GET", "/v1/products/{product}"),),
    "Cart": (("GET", "/v1/cart"),),
    "Checkout": (("POST", "/v1/orders"),),
    "OrderDetail": (("GET", "/v1/orders/{order}"),),
}
ANDROID_ACTIVITY = {
    "Home": "HomeActivity",
    "Search": "SearchActivity",
    "ProductDetail": "ProductDetailActivity",
    "Cart": "CartActivity",
    "Checkout": "CheckoutActivity",
    "OrderDetail": "OrderDetailActivity",
}
IOS_VIEW_CONTROLLER = {
    "Home": "HomeViewController",
    "Search": "SearchViewController",
    "ProductDetail": "ProductDetailViewController",
    "Cart": "CartViewController",
    "Checkout": "CheckoutViewController",
    "OrderDetail": "OrderDetailViewController",
}
SEARCH_QUERIES = ("running shoes", "rain jacket", "headphones", "desk lamp", "yoga mat", "backpack")
PRODUCT_COUNT = 240
ORDER_COUNT = 500
