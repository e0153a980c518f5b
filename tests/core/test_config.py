"""Configuration: config.toml defaults, HOCLIEU_* overrides, secrets only from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from repository.config import DEFAULT_CONFIG, ConfigError, load_settings


def test_every_key_of_config_toml_is_documented():
    lines = DEFAULT_CONFIG.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if "=" in line and not line.lstrip().startswith("#") and not line.startswith("["):
            assert lines[number - 1].lstrip().startswith("#"), f"undocumented key: {line}"


def test_environment_overrides_with_types(tmp_path):
    settings = load_settings(environ={"HOCLIEU_DATA_DIR": str(tmp_path / "x"), "HOCLIEU_STORAGE_MAX_UPLOAD_MB": "7",
                                      "HOCLIEU_AUTH_SECURE_COOKIES": "true",
                                      "HOCLIEU_APP_LOCALES": "en,vi"})
    assert settings.data_dir == (tmp_path / "x").resolve()
    assert settings.get("storage", "max_upload_mb") == 7
    assert settings.get("auth", "secure_cookies") is True
    assert settings.get("app", "locales") == ["en", "vi"]
    assert settings.database_url == f"sqlite:///{(tmp_path / 'x').resolve() / 'hoclieu.db'}"


def test_secret_in_the_config_file_is_refused(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(DEFAULT_CONFIG.read_text(encoding="utf-8").replace(
        "[app]\n", '[app]\nsecret_key = "oops"\n'), encoding="utf-8")
    with pytest.raises(ConfigError, match="must not be in"):
        load_settings(path=Path(path), environ={})


@pytest.mark.parametrize("secret", ["", "dev-only-not-secret", "short"])
def test_production_needs_a_real_secret(secret):
    env = {"HOCLIEU_APP_PROFILE": "production", "HOCLIEU_APP_SECRET_KEY": secret}
    with pytest.raises(ConfigError, match="HOCLIEU_APP_SECRET_KEY"):
        load_settings(environ=env)
    env["HOCLIEU_APP_SECRET_KEY"] = "x" * 40
    assert load_settings(environ=env).profile == "production"


def test_unknown_backend_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"\[storage\] backend"):
        load_settings(environ={"HOCLIEU_STORAGE_BACKEND": "ftp"})
