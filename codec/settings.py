"""Where the payload keys (and the codec server's token) come from: settings or files."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from codec.keys import ActiveKeyError, KeyRing, KeyRingError, parse_ring, read_secret_file

DEV_KEY_FILE = Path("codec") / "keys"
"""The key ring `onboard dev` creates in its data directory (mode 0600)."""
DEV_TOKEN_FILE = Path("codec") / "token"
"""The codec server's bearer token `onboard dev` creates beside it (mode 0600)."""


class CodecSettings(BaseSettings):
    """Payload encryption keys; every field is an ONBOARDING_CODEC_* variable."""

    model_config = SettingsConfigDict(env_prefix="ONBOARDING_CODEC_", extra="ignore")

    key_file: Path | None = None
    """A key ring file (KEY_ID:BASE64 per line), readable by its owner only."""
    keys: SecretStr | None = None
    """The key ring inline, entries separated by commas (for secret stores that inject
    variables)."""
    active_key: str | None = None
    """The key id that encodes; required when the ring holds several keys."""
    data_dir: Path = Field(
        default=Path(".onboarding"),
        validation_alias=AliasChoices("ONBOARDING_DATA_DIR", "data_dir"),
    )
    """Where `onboard dev` keeps its key ring; used when neither variable above is set."""

    def key_ring(self) -> KeyRing:
        """The configured ring.

        Raises:
            KeyRingError: No key is configured, or the configured one is unusable; the
                message starts with the variable to fix.
        """
        if self.keys is not None and self.key_file is not None:
            raise KeyRingError(
                "ONBOARDING_CODEC_KEYS: ONBOARDING_CODEC_KEYS and ONBOARDING_CODEC_KEY_FILE "
                "are both set; set one"
            )
        active = (self.active_key or "").strip() or None  # empty means unset (deploy files)
        if self.keys is not None:
            variable, text = "ONBOARDING_CODEC_KEYS", self.keys.get_secret_value()
        else:
            variable = "ONBOARDING_CODEC_KEY_FILE"
            path = self.key_file
            if path is None:
                path = self.data_dir / DEV_KEY_FILE
                if not path.exists():
                    raise KeyRingError(
                        f"{variable}: no payload encryption key is configured; set "
                        f"{variable} (a key ring file) or ONBOARDING_CODEC_KEYS, or run "
                        f"`onboard dev`, which creates one in {path}"
                    )
            try:
                text = read_secret_file(path, "the key ring file")
            except KeyRingError as err:
                raise _named(variable, err) from None
        try:
            return parse_ring(text, active)
        except KeyRingError as err:
            raise _named(variable, err) from None


def _named(variable: str, err: KeyRingError) -> KeyRingError:
    """The same problem, prefixed with the variable that holds it."""
    if isinstance(err, ActiveKeyError):
        variable = "ONBOARDING_CODEC_ACTIVE_KEY"
    return KeyRingError(f"{variable}: {err}")


def read_token(token: SecretStr | None, token_file: Path | None) -> str:
    """The codec server's bearer token from ONBOARDING_CODEC_TOKEN or _TOKEN_FILE."""
    if token is not None and token_file is not None:
        raise KeyRingError("ONBOARDING_CODEC_TOKEN and ONBOARDING_CODEC_TOKEN_FILE are both set")
    if token is not None:
        value = token.get_secret_value().strip()
        variable = "ONBOARDING_CODEC_TOKEN"
    elif token_file is not None:
        variable = "ONBOARDING_CODEC_TOKEN_FILE"
        try:
            value = read_secret_file(token_file, "the token file").strip()
        except KeyRingError as err:
            raise _named(variable, err) from None
    else:
        raise KeyRingError(
            "ONBOARDING_CODEC_TOKEN_FILE: the codec server needs a bearer token; set "
            "ONBOARDING_CODEC_TOKEN_FILE or ONBOARDING_CODEC_TOKEN (there is no default)"
        )
    if len(value) < 32:
        raise KeyRingError(f"{variable}: the token is shorter than 32 characters")
    return value


class CodecServerSettings(BaseSettings):
    """The codec server: who may call it, and where it listens (ONBOARDING_CODEC_*)."""

    model_config = SettingsConfigDict(env_prefix="ONBOARDING_CODEC_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8234, ge=1, le=65535)
    token: SecretStr | None = None
    """Bearer token every non-browser caller (the `temporal` CLI) must send."""
    token_file: Path | None = None
    """The token in a file readable by its owner only (what `onboard dev` writes)."""
    ui_origins: list[str] = Field(default_factory=list, max_length=16)
    """Origins of the Web UI allowed to call from a browser (CORS), JSON, e.g.
    ["https://temporal-ui.example"]; none by default."""
    ui_without_token: bool = False
    """Accept browser requests from `ui_origins` without the token (`onboard dev` sets it:
    the dev server's UI has no login and so no token to pass)."""
    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
