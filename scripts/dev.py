#!/usr/bin/env python3
"""Healthpal's development helper. Standard library only, so it runs on a fresh machine.

    python3 scripts/dev.py start    # .venv + install + migrate + demo data, then serve on http://127.0.0.1:5000
    python3 scripts/dev.py test     # .venv + dev install, then pytest (extra arguments go to pytest)
    python3 scripts/dev.py setup    # .venv + dev install only

The virtual environment is `.venv` in the repository; requirements are installed again only when
a requirements file changes. `test` runs on SQLite, or on PostgreSQL when TEST_DATABASE_URL is set.
"""
from __future__ import annotations  # so that an older Python gets to the version message below

import argparse
import hashlib
import os
import signal
import socket
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
RUNTIME = ["requirements.txt"]
DEVELOPMENT = ["requirements-dev.txt", "requirements.txt"]


def say(message: str) -> None:
    print(f"[dev] {message}", flush=True)


def run(*args, **options) -> subprocess.CompletedProcess:
    return subprocess.run([str(arg) for arg in args], cwd=ROOT, **options)


def ensure_venv() -> None:
    if PYTHON.exists():
        return
    say(f"Creating the virtual environment {VENV.relative_to(ROOT)}/ …")
    try:
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)   # clear: a broken .venv is rebuilt
    except (OSError, subprocess.CalledProcessError) as error:
        sys.exit(f"Could not create {VENV}: {error}\n"
                 "On Debian/Ubuntu install the venv module first: sudo apt-get install python3-venv")


def ensure_installed(files: list[str]) -> None:
    """pip-install `files[0]` into .venv unless these exact requirement files are installed already."""
    digest = hashlib.sha256(b"".join((ROOT / name).read_bytes() for name in files)).hexdigest()
    stamp = VENV / f".installed-{files[0]}.sha256"
    if stamp.exists() and stamp.read_text().strip() == digest:
        return
    say(f"Installing {files[0]} into {VENV.relative_to(ROOT)}/ (the first time takes a minute or two) …")
    result = run(PYTHON, "-m", "pip", "install", "--disable-pip-version-check", "--quiet", "-r", files[0])
    if result.returncode != 0:
        sys.exit(f"pip could not install {files[0]} (exit {result.returncode}); see the messages above.")
    stamp.write_text(digest + "\n")


def port_is_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def flask(*args, **options) -> subprocess.CompletedProcess:
    return run(PYTHON, "-m", "flask", "--app", "wsgi", *args, **options)


def start(options) -> int:
    """Set up, migrate, seed the demo data and serve the app until Ctrl+C."""
    if not port_is_free(options.host, options.port):
        sys.exit(f"Port {options.port} on {options.host} is already in use. "
                 f"Try: python3 scripts/dev.py start --port {options.port + 1}")
    ensure_venv()
    ensure_installed(RUNTIME)
    say("Migrating the database (DATABASE_URL if set, else SQLite in instance/healthpal.sqlite) …")
    if flask("db", "upgrade").returncode != 0:
        sys.exit("The database migration failed; see the messages above.")
    say("Adding the demo data (kept if already there) …")
    seeded = flask("seed-demo", capture_output=True, text=True)
    if seeded.returncode != 0:
        sys.exit(seeded.stdout + seeded.stderr + "\nseed-demo failed; see the messages above.")
    logins = [line.strip() for line in seeded.stdout.splitlines() if line.startswith("  ")]
    url = f"http://{options.host}:{options.port}"
    print("\n".join([
        "",
        f"  Healthpal is running at {url}/",
        f"    Portal (clinicians): {url}/",
        f"    Admin panel:         {url}/admin/",
        f"    API docs:            {url}/api/docs/",
        "  Demo logins:",
        *(f"    {line}" for line in logins),
        "  Press Ctrl+C to stop.",
        "",
    ]), flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))   # `kill` stops the server too, not just this script
    try:
        return flask("run", "--host", options.host, "--port", options.port).returncode
    except KeyboardInterrupt:
        return 0


def test(options) -> int:
    """Run the test suite; the exit code is pytest's (5 means no tests were collected)."""
    ensure_venv()
    ensure_installed(DEVELOPMENT)
    where = "PostgreSQL (TEST_DATABASE_URL)" if os.environ.get("TEST_DATABASE_URL") else "SQLite"
    say(f"Running the tests on {where} …")
    code = run(PYTHON, "-m", "pytest", *options.pytest_args).returncode
    if code == 5:
        say("No tests were collected.")
    return code


def setup(_options) -> int:
    ensure_venv()
    ensure_installed(DEVELOPMENT)
    say(f"Ready: {PYTHON.relative_to(ROOT)}")
    return 0


def main() -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script is what tells an older Python so
        sys.exit(f"Healthpal needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    parser = argparse.ArgumentParser(prog="python3 scripts/dev.py", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("start", help="set up, migrate, seed demo data and run the server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5000)
    serve.set_defaults(handler=start)
    commands.add_parser("test", help="run the tests (any further arguments go to pytest)").set_defaults(handler=test)
    commands.add_parser("setup", help="create .venv and install the development requirements").set_defaults(
        handler=setup)
    argv = sys.argv[1:]
    if argv[:1] == ["test"]:                 # everything after `test` belongs to pytest, options included
        options = parser.parse_args(argv[:1])
        options.pytest_args = argv[2:] if argv[1:2] == ["--"] else argv[1:]
    else:
        options = parser.parse_args(argv)
    return options.handler(options)


if __name__ == "__main__":
    sys.exit(main())
