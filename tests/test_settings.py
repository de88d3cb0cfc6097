"""Production settings from the environment: Django's deployment checklist passes, and a
production start without a secret key is refused."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent


def manage(*args, env: dict, tmp_path) -> subprocess.CompletedProcess:
    # Start from a clean slate: no DJANGO_* or DATABASE_URL of the developer's shell (or of a
    # PostgreSQL test run) leaks into the process under test.
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_") and k != "DATABASE_URL"}
    clean["DATABASE_URL"] = f"sqlite:///{tmp_path / 'settings-check.sqlite3'}"
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def production_env():
    return {
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "data.example.gov.cn",
    }


def test_deployment_checklist_passes_with_production_environment(production_env, tmp_path):
    result = manage("check", "--deploy", env=production_env, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr
    assert "WARNING" not in result.stdout + result.stderr


def test_production_without_a_secret_key_refuses_to_start(tmp_path):
    env = {"DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": "", "DJANGO_ALLOWED_HOSTS": "data.example.gov.cn"}
    result = manage("check", env=env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off." in result.stderr


def test_production_never_falls_back_to_the_development_key(production_env, tmp_path):
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.DEBUG, settings.SECRET_KEY)",
        env=production_env,
        tmp_path=tmp_path,
    )
    assert result.stdout.split() == ["False", production_env["DJANGO_SECRET_KEY"]], result.stderr
