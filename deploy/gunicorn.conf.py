"""gunicorn settings for Healthpal: `gunicorn -c deploy/gunicorn.conf.py wsgi:app` (the systemd
unit runs exactly this). A command-line option wins over this file (`--bind`, `--workers`)."""
import os
import shutil
import tempfile

# nginx on the same machine proxies here. Behind a load balancer without nginx, bind the private
# address instead (e.g. 10.0.1.23:8000) and let only the balancer's security group reach it.
bind = "127.0.0.1:8000"

# Worker class and count: threaded workers, one process per core, four threads each. A request
# spends much of its time waiting on PostgreSQL, and threads overlap those waits in one process's
# memory, while the processes use both cores; gthread also keeps nginx's connections alive between
# requests (sync workers close every connection). Measured side by side on a shared 2-core machine
# (API over loopback, 8 connections, PostgreSQL on the same machine): gthread 2 x 4 answered 240-270
# req/s for a patient, 240 for a page of 50 and 60-130 creates/s; sync x 5, 45-60, 85-120 and 25-35.
# More threads do not help once both cores are busy; add instances (README, "Growing") instead.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 2))
threads = 4

# Timeouts, coherent with the database's (DATABASE_CONNECT_TIMEOUT 5 s, statement 15 s, lock 5 s):
# no request can legitimately run longer than connect + statement, so a worker silent for 30 s is
# stuck and is killed and replaced. On a stop or restart, requests in flight get 30 s to finish.
timeout = 30
graceful_timeout = 30
# Idle keep-alive connections from nginx are closed after 5 s; nginx's upstream keepalive_timeout
# (deploy/nginx/healthpal.conf) is shorter, so nginx never reuses a connection gunicorn is closing.
keepalive = 5

# What gunicorn refuses itself (with a plain-text 400, not the API's JSON) must be rarer than what
# nginx refuses first: request lines up to gunicorn's maximum (8190 bytes, as nginx's 8 KB header
# buffers), and as many header fields, each as long, as a browser or the mobile app ever sends.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

# The app writes one JSON line per request on stdout (HEALTHPAL_LOG_FORMAT), with the request id;
# gunicorn's own access log would only repeat it. gunicorn's start/stop/timeout messages: stderr.
accesslog = None
errorlog = "-"
loglevel = "info"
# The workers' heartbeat files in memory, not on a disk that may stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# Prometheus: every worker writes its metrics to files in this directory and a scrape adds them up.
# The systemd unit sets it under /run; otherwise a fresh directory of this run.
metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or tempfile.mkdtemp(prefix="healthpal-metrics-")
os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir


def on_starting(_server):
    """Start from an empty metrics directory: files of an earlier run would be counted again."""
    shutil.rmtree(metrics_dir, ignore_errors=True)
    os.makedirs(metrics_dir, exist_ok=True)


def child_exit(_server, worker):
    """A worker that exited no longer counts in the live gauges (its counters are kept)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
