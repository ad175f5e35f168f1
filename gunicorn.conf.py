"""gunicorn's settings for Lifelong: read by `gunicorn wsgi:app` started in this folder
(gunicorn's default config file), by scripts/run-demo and by the benchmark (bench/).

Processes rather than threads. Python threads of one process take turns on one lock (the
GIL): a thread that has SQLite's write lock waits for its turn after every statement,
while the other processes' writers sleep on that lock. Measured with 16 clients sending
feedback cards on two CPUs: 2 processes x 4 threads stored 240 cards/s, 4 processes x 1
thread 377/s. The gthread worker still keeps idle keep-alive connections off the thread.

WEB_CONCURRENCY (processes, default two per CPU) and GUNICORN_THREADS (per process,
default 1) override these; so do gunicorn's own command-line options.
"""
import os


def _cpus() -> int:
    """The CPUs this process may run on (a container's share), where the system tells."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        return os.cpu_count() or 1


workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * _cpus())
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS") or 1)
