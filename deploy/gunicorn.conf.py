"""gunicorn for hopnhat in production (README "Production notes"; measured by bench/continuity.py).

    gunicorn hopnhat.wsgi:application -c deploy/gunicorn.conf.py -b 127.0.0.1:8001
    gunicorn hopnhat.wsgi:application -c deploy/gunicorn.conf.py -b 127.0.0.1:8011    # the second instance

Two instances behind one nginx upstream (deploy/nginx-hopnhat.conf): a release replaces them one at a time,
each by a new instance on the new code started beside it on a port of its own (8021, 8031), put into the upstream
once /healthz answers there while the old one is marked `down` (nginx -s reload), and only then is the old one
stopped with TERM (every worker finishes the request it holds); old and new code serve side by side meanwhile,
and never with fewer workers.
"""

import multiprocessing
import os

workers = int(os.environ.get("HOPNHAT_WEB_WORKERS", 2 * multiprocessing.cpu_count() + 1))
worker_class = "sync"
# A worker that takes longer than this on one request is killed and replaced (the slowest staff page, a PDF
# slip or a 100-row export, takes well under 10 s).
timeout = 60
# On HUP or TERM a worker gets this long to finish the request it holds before it is killed: longer than any
# request we serve, so a reload never cuts one short.
graceful_timeout = 60
# The master imports the code once and forks its workers: a worker that dies (kill -9, out of memory) is
# replaced by a fork in milliseconds instead of a new Django import (seconds of CPU that show in everyone's p99
# on a small machine). A release starts a new instance beside it (it does not HUP it): see the roll above.
preload_app = True
# A master starting up (a release, a restart) imports Django and warms it (below) at a lower CPU priority than the
# instances serving people: HOPNHAT_START_NICE (10) above the priority it was started with. Each worker it forks
# comes back to that priority (post_fork), which needs root or `LimitNICE=` in the unit (deploy/hopnhat-web@.service);
# without either the workers keep the lower priority, and say so in the log.
_BASE_NICE = int(os.environ.setdefault("HOPNHAT_BASE_NICE", str(os.getpriority(os.PRIO_PROCESS, 0))))
os.setpriority(os.PRIO_PROCESS, 0, min(19, _BASE_NICE + int(os.environ.get("HOPNHAT_START_NICE", "10"))))


def when_ready(server):
    """In the master, after the preload and before the first fork: a few requests through Django so that every
    worker starts warm (hopnhat.core.warmup), also each one forked after a worker was killed."""
    from hopnhat.core.warmup import warm

    server.log.info("warm-up: %s", warm())


def post_fork(server, worker):
    try:
        os.setpriority(os.PRIO_PROCESS, 0, _BASE_NICE)
    except PermissionError:
        server.log.warning("worker %s keeps the start-up priority (nice %s): give the unit LimitNICE=%s",
                           worker.pid, os.getpriority(os.PRIO_PROCESS, 0), _BASE_NICE)


# Heartbeat files in memory, not on a disk that may stall under a backup.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
accesslog = None
loglevel = os.environ.get("HOPNHAT_GUNICORN_LOG_LEVEL", "warning")
