"""The production shape on one machine: gunicorn instances started from deploy/gunicorn.conf.py,
Debian's nginx with deploy/'s site (as plain HTTP on a free port), one PostgreSQL database, one
redis-server — all on loopback, all stopped afterwards."""
import grp
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.helpers import listening, wait_until

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
NGINX_SITE = ROOT / "deploy" / "nginx" / "healthpal.conf"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, what: str, seconds: float = 30) -> None:
    def up() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        return listening(port)

    wait_until(up, seconds=seconds, what=f"{what} listens on {port}", every=0.2)


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM, seconds: float = 40) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Redis:
    def __init__(self, workdir: Path):
        self.port = free_port()
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, self.process, "redis-server")
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        stop(self.process)


class Instance:
    """One gunicorn, exactly as the systemd unit starts it, but on its own port and with 2 workers."""

    def __init__(self, name: str, env: dict, workdir: Path):
        self.name, self.port = name, free_port()
        self.env = {**env, "PROMETHEUS_MULTIPROC_DIR": str(workdir / f"{name}-metrics")}
        self.log = workdir / f"{name}.stdout"
        self.errors = workdir / f"{name}.stderr"
        self.process = None

    def start(self) -> "Instance":
        with self.log.open("a") as out, self.errors.open("a") as err:
            self.process = subprocess.Popen(
                [GUNICORN, "-c", "deploy/gunicorn.conf.py", "--bind", f"127.0.0.1:{self.port}", "--workers", "2",
                 "wsgi:app"], cwd=ROOT, env=self.env, stdout=out, stderr=err)
        wait_for_port(self.port, self.process, f"gunicorn {self.name} ({self.errors})")
        return self

    def stop(self) -> None:
        """As `systemctl stop` does: SIGTERM, and gunicorn finishes the requests it has."""
        stop(self.process)

    def stopped(self) -> float:
        """Send SIGTERM and wait for the instance to exit; returns when it had (time.monotonic())."""
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(60)
        return time.monotonic()

    def request_lines(self) -> list[dict]:
        """The request log lines this instance wrote on stdout."""
        lines = []
        for line in self.log.read_text().splitlines():
            if line.startswith("{"):
                record = json.loads(line)
                if record.get("logger") == "healthpal.requests":
                    lines.append(record)
        return lines


def site_for_test(site: str, *, port: int, upstreams: list[int]) -> str:
    """deploy/'s nginx site as plain HTTP on `port`: its upstream lists the test's instances; of its
    servers only the TLS one is kept, without its certificate lines."""
    servers = "".join(f"    server 127.0.0.1:{upstream};\n" for upstream in upstreams)
    site = re.sub(r"^\s*server 127\.0\.0\.1:8000;\n", servers, site, count=1, flags=re.MULTILINE)
    kept, position = [], 0
    for start, end in server_blocks(site):
        block = site[start:end]
        kept.append(site[position:start])
        if "ssl_certificate " in block:
            block = re.sub(r"^\s*(listen .*ssl.*|ssl_\w+ .*);\n", "", block, flags=re.MULTILINE)
            block = block.replace("server {\n", f"server {{\n    listen 127.0.0.1:{port};\n", 1)
            kept.append(block)
        position = end
    kept.append(site[position:])
    return "".join(kept).replace("/srv/healthpal/app/", f"{ROOT}/")


def server_blocks(text: str):
    """(start, end) of each top-level `server { … }` block."""
    for match in re.finditer(r"^server \{", text, re.MULTILINE):
        depth, index = 0, match.start()
        while True:
            depth += {"{": 1, "}": -1}.get(text[index], 0)
            index += 1
            if depth == 0 and text[index - 1] == "}":
                yield match.start(), index
                break


class Nginx:
    """Debian's nginx as the current user, with its own prefix, pid file, logs and temp paths."""

    def __init__(self, workdir: Path, upstreams: list[int]):
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        self.port = free_port()
        prefix = workdir / "nginx"
        prefix.mkdir()
        user = ""
        if os.geteuid() == 0:        # as root nginx would hand its workers to `nobody`
            user = f"user {pwd.getpwuid(os.geteuid()).pw_name} {grp.getgrgid(os.getegid()).gr_name};"
        temp = "\n".join(f"    {kind}_temp_path {prefix / kind};" for kind in
                         ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        site = site_for_test(NGINX_SITE.read_text(), port=self.port, upstreams=upstreams)
        (prefix / "nginx.conf").write_text(f"""{user}
worker_processes 1;
pid {prefix / "nginx.pid"};
error_log {prefix / "error.log"} warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {prefix / "access.log"};
{temp}
{site}
}}
""")
        self.error_log = prefix / "error.log"
        self.process = subprocess.Popen(
            [binary, "-p", str(prefix), "-e", str(self.error_log), "-c", str(prefix / "nginx.conf"),
             "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wait_for_port(self.port, self.process, f"nginx ({self.error_log})")
        self.base = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        stop(self.process, signal.SIGQUIT)
        self.process.stderr.close()
