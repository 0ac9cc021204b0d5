"""gunicorn for hopnhat in production (README "Production notes"; measured by bench/continuity.py).

    gunicorn hopnhat.wsgi:application -c deploy/gunicorn.conf.py -b 127.0.0.1:8001
    gunicorn hopnhat.wsgi:application -c deploy/gunicorn.conf.py -b 127.0.0.1:8011    # the second instance

Two instances behind one nginx upstream (deploy/nginx-hopnhat.conf): a release reloads them one at a time
(`kill -HUP` the master: new workers start on the new code, the old ones finish the request they hold, then
exit), so one instance always serves while the other rolls, and nginx passes a request that found an instance
closing on to the other.
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
# Each worker imports the code itself (no preload): HUP then loads the new release's code in the new workers.
preload_app = False
# Heartbeat files in memory, not on a disk that may stall under a backup.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
accesslog = None
loglevel = os.environ.get("HOPNHAT_GUNICORN_LOG_LEVEL", "warning")
