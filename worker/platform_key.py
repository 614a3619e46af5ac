"""The worker's platform admin key: set, or the embedded sandbox's; never sent astray.

There is no default key. The worker takes ONBOARDING_PLATFORM_API_KEY, or, for a sandbox
on this machine, the key `onboard dev` generated in ``ONBOARDING_DATA_DIR/sandbox``. A
sandbox key (`sandbox.keys.is_sandbox_key`) is refused with a platform that is not on
this machine: a staging or production platform has keys of its own, and a sandbox key
sent there would be a secret handed to whoever runs it.
"""

from __future__ import annotations

import httpx
from pydantic import SecretStr

from notify.outbound import is_loopback
from sandbox.keys import KeyFileError, admin_key_path, is_sandbox_key, read_admin_key
from worker.config import InvalidSettings, Settings

KEY_VARIABLE = "ONBOARDING_PLATFORM_API_KEY"


def platform_host(settings: Settings) -> str:
    """The platform's host name, or raise naming ONBOARDING_PLATFORM_URL."""
    try:
        url = httpx.URL(settings.platform_url)
    except (httpx.InvalidURL, TypeError, ValueError):
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host:
        raise InvalidSettings(
            ["ONBOARDING_PLATFORM_URL: is not an absolute http(s) URL of the platform admin API"]
        )
    return url.host


def platform_key(settings: Settings) -> SecretStr:
    """Return the admin key to send to the platform, or raise `InvalidSettings`.

    Raises:
        InvalidSettings: No key is set and no sandbox key was found, the sandbox key file
            is unsafe, or a sandbox key would go to a platform not on this machine.
    """
    host = platform_host(settings)
    key = settings.platform_api_key
    if key is None or not key.get_secret_value().strip():
        sandbox_dir = settings.data_dir / "sandbox"
        try:
            found = read_admin_key(sandbox_dir) if is_loopback(host) else None
        except KeyFileError as exc:
            raise InvalidSettings([f"{KEY_VARIABLE}: is not set, and {exc}"]) from None
        if found is None:
            raise InvalidSettings(
                [
                    f"{KEY_VARIABLE}: is not set; set the platform's admin key (there is no "
                    f"default). `onboard dev` generates a sandbox key in "
                    f"{admin_key_path(sandbox_dir)}"
                ]
            )
        key = SecretStr(found)
    if is_sandbox_key(key.get_secret_value()) and not is_loopback(host):
        raise InvalidSettings(
            [
                f"{KEY_VARIABLE}: is a sandbox key, but ONBOARDING_PLATFORM_URL points at {host}, "
                "not this machine; a real platform needs its own admin key"
            ]
        )
    return key
