# Start (installing first if needed) every real server the tests talk to, then check each one answers.
# Sourced by scripts/dev; each ensure_* is idempotent and safe on a machine that already runs the service.

_apt_updated=0
apt_install() {
  command -v apt-get >/dev/null || { echo "cannot install $* (no apt-get)" >&2; return 1; }
  if [ "$_apt_updated" = 0 ]; then apt-get update -qq >/dev/null; _apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

wait_for() {  # wait_for NAME CMD...: up to 30 s for CMD to succeed
  local name=$1; shift
  for _ in $(seq 1 60); do "$@" >/dev/null 2>&1 && { echo "  $name: up"; return 0; }; sleep 0.5; done
  echo "  $name: NOT answering" >&2; return 1
}

ensure_postgres() {
  command -v pg_ctlcluster >/dev/null || apt_install postgresql postgresql-contrib
  if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    local ver; ver=$(ls /etc/postgresql | sort -V | tail -1)
    # Trust auth on loopback, as the tests connect as postgres without a password.
    local hba=/etc/postgresql/$ver/main/pg_hba.conf
    grep -q '^host all all 127.0.0.1/32 trust' "$hba" 2>/dev/null || sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  fi
  wait_for PostgreSQL psql -h 127.0.0.1 -U postgres -c 'select 1' postgres
}

ensure_mariadb() {
  command -v mariadbd >/dev/null || command -v mysqld >/dev/null || apt_install mariadb-server
  if ! mariadb -uroot -h127.0.0.1 -e 'select 1' >/dev/null 2>&1; then
    mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql || true
  fi
  wait_for MariaDB mariadb -uroot -h127.0.0.1 -e 'select 1'
}

ensure_redis() {
  command -v redis-server >/dev/null || apt_install redis-server
  if ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log
  fi
  wait_for Redis redis-cli -h 127.0.0.1 ping
}

ensure_services() {
  echo "Services:"
  ensure_postgres
  ensure_mariadb
  ensure_redis
}
