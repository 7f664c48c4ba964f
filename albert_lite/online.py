"""What the online paths need, checked one way everywhere: the Hub within reach, and the library installed.

Offline (no network, or one of :data:`OFFLINE_SETTINGS` set to 1/true), every online loader of the
package fails within seconds with a message that names the offline alternative, never waiting on a
network that is not there.
"""

from __future__ import annotations

import importlib
import os
import socket
import threading
from types import ModuleType
from urllib.parse import urlsplit

HUB_HOST = "huggingface.co"
HUB_PORT = 443
OFFLINE_SETTINGS = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE")


def offline_by_setting() -> str | None:
    """The environment variable that switches the online paths off, or None."""
    for name in OFFLINE_SETTINGS:
        if os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on"):
            return name
    return None


def hub_reachable(timeout: float = 3.0, host: str | None = None, port: int | None = None) -> bool:
    """True when a TCP connection to the Hub (or to the HTTPS proxy) opens within ``timeout`` seconds.

    The connection is tried in a daemon thread so that a slow name lookup, which
    ``socket.create_connection``'s own timeout does not cover, cannot make the caller wait.
    """
    if offline_by_setting():
        return False
    address = (host or HUB_HOST, port or HUB_PORT)
    proxy = os.environ.get("HTTPS_PROXY") or os.environ.get("https_proxy")
    if proxy and host is None:  # behind a proxy the proxy is what must answer
        parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        if parts.hostname:
            address = (parts.hostname, parts.port or 80)
    result: list[bool] = []

    def attempt() -> None:
        try:
            with socket.create_connection(address, timeout=timeout):
                result.append(True)
        except OSError:
            result.append(False)

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(result and result[0])


def require(package: str, purpose: str) -> ModuleType:
    """Import ``package`` (transformers, datasets), or ImportError saying what needs it and how to install it."""
    try:
        return importlib.import_module(package)
    except ImportError:
        raise ImportError(f"{purpose} needs the `{package}` package: pip install {package}") from None


def require_online(package: str, purpose: str, offline_hint: str = "", timeout: float = 2.0) -> ModuleType:
    """The library an online loader needs, once the Hub has answered within ``timeout`` seconds.

    The network is checked first (offline, installing the library would not help), then the library; either
    failure raises at once with ``purpose`` and ``offline_hint`` (what works offline) in the message.
    """
    if not hub_reachable(timeout=timeout):
        raise RuntimeError(f"{purpose} needs internet access to {HUB_HOST} and none was found within {timeout:g} s "
                           f"(or an offline setting such as HF_HUB_OFFLINE is on). {offline_hint}".rstrip())
    try:
        return require(package, purpose)
    except ImportError as error:
        raise ImportError(f"{error}. {offline_hint}".rstrip()) from None
