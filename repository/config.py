"""Configuration: ``config.toml`` defaults, then ``HOCLIEU_*`` environment overrides, validated once.

Nothing reads configuration at import time; :func:`load_settings` is called by the app factory and the CLI.
"""

from __future__ import annotations

import logging
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config.toml"
ENV_PREFIX = "HOCLIEU_"
DEFAULT_SECRET = "dev-only-not-secret"  # noqa: S105 - marks the embedded profile's fallback, refused in production

#: Keys that may only come from the environment, never from config.toml.
SECRET_KEYS = {("app", "secret_key"), ("storage", "access_key"), ("storage", "secret_key"),
               ("mail", "password")}


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says which key and why."""


@dataclass
class Settings:
    """All settings, by section, plus the resolved data directory."""

    data: dict[str, Any]
    data_dir: Path

    def section(self, name: str) -> dict[str, Any]:
        return self.data.get(name, {})

    def get(self, section: str, key: str, default: Any = None) -> Any:
        return self.data.get(section, {}).get(key, default)

    @property
    def profile(self) -> str:
        return self.get("app", "profile", "embedded")

    @property
    def database_url(self) -> str:
        url = self.get("database", "url") or ""
        return url or f"sqlite:///{self.data_dir / 'hoclieu.db'}"


def _coerce(raw: str, current: Any) -> Any:
    """Turn an environment string into the type of the value it overrides."""
    if isinstance(current, bool):
        if raw.lower() in {"1", "true", "yes", "on"}:
            return True
        if raw.lower() in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"expected true/false, got {raw!r}")
    if isinstance(current, int):
        return int(raw)
    if isinstance(current, float):
        return float(raw)
    if isinstance(current, list):
        return [part.strip() for part in raw.split(",") if part.strip()]
    return raw


def _apply_environment(data: dict[str, Any], environ: dict[str, str]) -> None:
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or name.startswith("HOCLIEU_TEST_"):
            continue
        rest = name[len(ENV_PREFIX):].lower()
        if rest in data and not isinstance(data[rest], dict):
            data[rest] = _coerce(raw, data[rest])
            continue
        section, _, key = rest.partition("_")
        if section not in data or not isinstance(data[section], dict) or not key:
            if section != "config":
                log.warning("ignoring unknown configuration variable %s", name)
            continue
        current = data[section].get(key, "")
        try:
            data[section][key] = _coerce(raw, current)
        except (ValueError, ConfigError) as exc:
            raise ConfigError(f"{name}: {exc}") from exc


def load_settings(path: Path | None = None, environ: dict[str, str] | None = None,
                  overrides: dict[str, Any] | None = None) -> Settings:
    """Read config.toml (or ``HOCLIEU_CONFIG``), apply environment and explicit overrides, validate."""
    environ = dict(os.environ if environ is None else environ)
    path = Path(environ.get("HOCLIEU_CONFIG") or path or DEFAULT_CONFIG)
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    for section, key in SECRET_KEYS:
        if key in data.get(section, {}):
            raise ConfigError(f"[{section}] {key} must not be in {path.name}: set "
                              f"{ENV_PREFIX}{section.upper()}_{key.upper()} in the environment")
    data.setdefault("mail", {})
    _apply_environment(data, environ)
    for section, values in (overrides or {}).items():
        if isinstance(values, dict):
            data.setdefault(section, {}).update(values)
        else:
            data[section] = values
    data_dir = Path(str(data.get("data_dir", "data"))).expanduser().resolve()
    settings = Settings(data=data, data_dir=data_dir)
    validate(settings)
    return settings


def validate(settings: Settings) -> None:
    """Refuse settings that cannot work, naming the key."""
    choices = {("app", "profile"): {"embedded", "production"},
               ("storage", "backend"): {"local", "s3"},
               ("queue", "backend"): {"sqlite", "redis", "memory"},
               ("search", "backend"): {"sqlite", "elasticsearch"},
               ("app", "media_offload"): {"none", "x-accel", "x-sendfile"}}
    for (section, key), allowed in choices.items():
        value = settings.get(section, key)
        if value not in allowed:
            raise ConfigError(f"[{section}] {key} = {value!r}: expected one of {sorted(allowed)}")
    if settings.profile == "production":
        secret = settings.get("app", "secret_key") or ""
        if not secret or secret == DEFAULT_SECRET or len(secret) < 32:
            raise ConfigError(
                "the production profile needs a secret key of at least 32 characters in "
                "HOCLIEU_APP_SECRET_KEY (generate one with: python3 -c 'import secrets; "
                "print(secrets.token_urlsafe(48))')")
