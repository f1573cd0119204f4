"""Project-level safety: settings from the environment, migrations in step with models."""

import os
import subprocess
import sys
from pathlib import Path

from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[1]


def run_python(code, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    clean["DJANGO_VAR_DIR"] = env.pop("DJANGO_VAR_DIR")
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "cramps_site.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_debug_is_off_unless_asked_for(tmp_path):
    code = "from django.conf import settings; print(settings.DEBUG)"
    assert run_python(code, DJANGO_VAR_DIR=str(tmp_path)).stdout.strip() == "False"
    on = run_python(code, DJANGO_VAR_DIR=str(tmp_path), DJANGO_DEBUG="1")
    assert on.stdout.strip() == "True"


def test_local_secret_key_is_random_and_kept_out_of_the_repo(tmp_path):
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    first = run_python(code, DJANGO_VAR_DIR=str(tmp_path)).stdout.strip()
    again = run_python(code, DJANGO_VAR_DIR=str(tmp_path)).stdout.strip()
    other = run_python(code, DJANGO_VAR_DIR=str(tmp_path / "other")).stdout.strip()
    assert len(first) >= 50 and first == again != other
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_refuses_to_start_without_secret_key_and_hosts(tmp_path):
    result = run_python(
        "import django; django.setup()", DJANGO_VAR_DIR=str(tmp_path), DJANGO_PRODUCTION="1"
    )
    assert result.returncode != 0
    assert "Production needs these settings: DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS" in (
        result.stderr
    )


def test_production_refuses_debug(tmp_path):
    result = run_python(
        "import django; django.setup()",
        DJANGO_VAR_DIR=str(tmp_path),
        DJANGO_PRODUCTION="1",
        DJANGO_DEBUG="1",
        DJANGO_SECRET_KEY="x" * 60,
        DJANGO_ALLOWED_HOSTS="example.org",
    )
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be off" in result.stderr


def test_system_checks_pass():
    call_command("check", fail_level="WARNING")


def test_migrations_match_the_models(db):
    call_command("makemigrations", check=True, dry_run=True, verbosity=0)


def test_var_and_its_files_are_for_the_sites_user_only(tmp_path):
    """var/ holds the SQLite database (sessions, password hashes): 0700, its files 0600."""
    var = tmp_path / "var"
    code = """
import django
django.setup()
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
call_command("migrate", verbosity=0)
cache.set("k", "v")
default_storage.save("uploads/x.png", ContentFile(b"x"))
"""
    result = run_python(code, DJANGO_VAR_DIR=str(var))
    assert result.returncode == 0, result.stderr
    assert (var / "db.sqlite3").exists()
    assert var.stat().st_mode & 0o777 == 0o700
    found = list(var.rglob("*"))
    assert len(found) >= 6  # db, secret key, cache folder and file, media folders and file
    for path in found:
        assert path.stat().st_mode & 0o077 == 0, (path, oct(path.stat().st_mode))


def test_an_existing_var_folder_and_database_are_made_private(tmp_path):
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    var.chmod(0o755)
    (var / "db.sqlite3").write_bytes(b"")
    (var / "db.sqlite3").chmod(0o644)
    result = run_python("import django; django.setup()", DJANGO_VAR_DIR=str(var))
    assert result.returncode == 0, result.stderr
    assert var.stat().st_mode & 0o777 == 0o700
    assert (var / "db.sqlite3").stat().st_mode & 0o777 == 0o600
