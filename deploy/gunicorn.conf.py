"""gunicorn settings for Healthpal: `gunicorn -c deploy/gunicorn.conf.py wsgi:app` (the systemd
unit runs exactly this). A command-line option wins over this file (`--bind`, `--workers`)."""
import gc
import os
import shutil
import tempfile

# nginx on the same machine proxies here. Behind a load balancer without nginx, bind the private
# address instead (e.g. 10.0.1.23:8000) and let only the balancer's security group reach it.
bind = "127.0.0.1:8000"

# Worker class and count: sync workers, two per core (4 on the 2-core server). Chosen from the
# benchmark (bench/README.md, "The gunicorn setting": sync x 4 against sync x 2-3 and gthread 2 x 2,
# 2 x 4, 3 x 2, 4 x 2): a request waits on PostgreSQL about half its time, so two processes per core keep
# the cores busy; threads overlapped the same waits no better under the GIL, and four threads
# hashing passwords at once took a worker to 194 MB where a sync worker stayed at 85-121 MB.
# Keep-alive, gthread's other gift, never reaches gunicorn: nginx holds the clients' connections and
# buffers slow ones, which is what sync workers need. More workers than that only queue on the same
# cores; add instances instead (README, "Growing").
worker_class = "sync"
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 2)))

# Timeouts, coherent with the database's (DATABASE_CONNECT_TIMEOUT 5 s, statement 15 s, lock 5 s):
# no request can legitimately run longer than connect + statement, so a worker silent for 30 s is
# stuck and is killed and replaced. On a stop or restart, requests in flight get 30 s to finish.
timeout = 30
graceful_timeout = 30

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


# Garbage collection. A worker holds about 120,000 long-lived objects once the app is loaded (modules,
# SQLAlchemy's mappers, compiled templates); CPython's default thresholds (700, 10, 10) made a list
# request run 2-6 young collections and, every few dozen requests, a full one that walked all of them
# (tens of ms: the p99 spikes of the big lists). Freezing what exists once the app is loaded takes
# those objects out of every later collection; a larger first threshold lets a request's short-lived
# objects die by reference counting before any collection looks at them (a page of rows, or of 50
# admin records, leaves a few hundred behind at most).
# Measured in process with `bench/profile.py --cpu --gc-freeze --gc-threshold 10000`.
GC_THRESHOLD = (10_000, 10, 10)


def post_worker_init(_worker):
    """The app is loaded in this worker: freeze it out of garbage collection, then collect less often."""
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)


def on_starting(_server):
    """Start from an empty metrics directory: files of an earlier run would be counted again."""
    shutil.rmtree(metrics_dir, ignore_errors=True)
    os.makedirs(metrics_dir, exist_ok=True)


def child_exit(_server, worker):
    """A worker that exited no longer counts in the live gauges (its counters are kept)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
