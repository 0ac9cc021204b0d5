"""gunicorn for hopnhat in production (README "Production notes"; measured by bench/continuity.py).

    gunicorn hopnhat.wsgi:application -c deploy/gunicorn.conf.py -b 127.0.0.1:8001
    gunicorn hopnhat.wsgi:application -c deploy/gunicorn.conf.py -b 127.0.0.1:8011    # the second instance

Two instances behind one nginx upstream (deploy/nginx-hopnhat.conf): a release restarts them one at a time,
each first taken out of the upstream (`down`, nginx -s reload), stopped with TERM (every worker finishes the
request it holds), started on the new code and put back once /healthz answers on its own port; old and new code
serve side by side meanwhile.
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
# on a small machine). A release therefore restarts the instance (it does not HUP it): see the roll above.
preload_app = True
# Heartbeat files in memory, not on a disk that may stall under a backup.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
accesslog = None
loglevel = os.environ.get("HOPNHAT_GUNICORN_LOG_LEVEL", "warning")
