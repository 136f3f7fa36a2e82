"""Settings: defaults, every error names its key, secrets only from the environment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mailworker.config import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "settings.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_settings_file_loads_and_matches_defaults() -> None:
    """The commented settings.yaml in the repository is valid and holds the documented defaults."""
    settings = load_settings(ROOT / "settings.yaml")
    assert settings.database.url == "sqlite:///var/mailworker.db"
    assert settings.mailboxes[0].batch_size == 200
    assert settings.mailboxes[0].post_action.kind == "flag"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("database: {urll: x}", "database.urll"),
        ("mailboxes: [{name: a, port: '993'}]", "mailboxes[0].port"),
        ("mailboxes: [{name: a, idle: 'yes'}]", "mailboxes[0].idle"),
        ("mailboxes: [{name: a, post_action: {kind: delete}}]", "mailboxes[0].post_action.kind"),
        ("mailboxes: [{name: a, batch_size: 0}]", "mailboxes[0].batch_size"),
        ("mailboxes: []", "mailboxes"),
        ("mailboxes: [{name: a}, {name: a}]", "mailboxes"),
        ("logging: {format: xml}", "logging.format"),
        ("runner: {retry: {max_wait: -1}}", "runner.retry.max_wait"),
        ("surprise: 1", "surprise"),
    ],
)
def test_bad_value_names_the_key(tmp_path: Path, text: str, key: str) -> None:
    """Each kind of mistake in the file is reported with the dotted key that holds it."""
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text))
    assert str(caught.value).startswith(key), str(caught.value)


def test_yaml_syntax_error_is_a_config_error(tmp_path: Path) -> None:
    """A file that is not YAML gives a ConfigError naming the file."""
    path = write(tmp_path, "database: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings(path)


def test_database_url_from_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """MAILWORKER_DATABASE_URL overrides the file so passwords stay out of it."""
    monkeypatch.setenv("MAILWORKER_DATABASE_URL", "postgresql://u:secret@db/x")
    settings = load_settings(write(tmp_path, "database: {url: 'sqlite:///a.db'}"))
    assert settings.database.url == "postgresql://u:secret@db/x"


def test_password_comes_from_env_or_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The IMAP password is read from the named variable, or from password_file when given."""
    settings = load_settings(write(tmp_path, "mailboxes: [{name: a, password_env: MW_PW}]"))
    monkeypatch.delenv("MW_PW", raising=False)
    with pytest.raises(ConfigError, match="MW_PW is not set"):
        settings.mailboxes[0].password()
    monkeypatch.setenv("MW_PW", "hunter2")
    assert settings.mailboxes[0].password() == "hunter2"
    secret = tmp_path / "pw"
    secret.write_text("from-file\n")
    settings = load_settings(write(tmp_path, f"mailboxes: [{{name: a, password_file: '{secret}'}}]"))
    assert settings.mailboxes[0].password() == "from-file"


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None
            ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "worker.py"), *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=60)


def test_cli_exits_2_on_bad_config_before_connecting(tmp_path: Path) -> None:
    """A bad settings file stops the command with status 2 and one message naming the key."""
    path = write(tmp_path, "mailboxes: [{name: a, port: many}]")
    result = run_cli("--config", str(path), "run", "--once", cwd=tmp_path)
    assert result.returncode == 2
    assert "mailboxes[0].port" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_exits_2_when_password_missing(tmp_path: Path) -> None:
    """`run` without the password variable fails with status 2 before any connection is tried."""
    path = write(tmp_path, "mailboxes: [{name: a, host: 192.0.2.1, password_env: MW_NOT_SET_ANYWHERE}]")
    result = run_cli("--config", str(path), "run", "--once", cwd=tmp_path,
                     env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert result.returncode == 2
    assert "MW_NOT_SET_ANYWHERE is not set" in result.stderr
