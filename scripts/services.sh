# Start (installing first if needed) every real server the tests talk to, then check each one answers.
# Sourced by scripts/dev; each ensure_* is idempotent and safe on a machine that already runs the service.

_apt_updated=0
apt_install() {
  command -v apt-get >/dev/null || { echo "cannot install $* (no apt-get)" >&2; return 1; }
  if [ "$_apt_updated" = 0 ]; then apt-get update -qq >/dev/null; _apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 "$@" >/dev/null
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

ensure_chromium() {
  # Browser tests drive Debian's Chromium through Playwright; its own browser download is never used.
  command -v chromium >/dev/null && command -v chromedriver >/dev/null || apt_install chromium chromium-driver
  wait_for Chromium chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --dump-dom about:blank
}

ensure_nginx() {
  # The crosswalk tests run `nginx -t` on the exported redirect map and start their own nginx on a loopback
  # port; bench/redirects_wrk.py also needs wrk. Nothing is started here.
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || apt_install nginx-light
  command -v wrk >/dev/null || apt_install wrk
  wait_for nginx /usr/sbin/nginx -v
}

ensure_oidc_provider() {
  # A real OpenID Connect provider (npm oidc-provider) for the VNeID sign-in tests; they start it themselves
  # (src/hopnhat/shell/tests/oidc_provider.mjs) on a loopback port.
  local home=${HOPNHAT_OIDC_PROVIDER_HOME:-$PWD/var/oidc-provider}
  command -v node >/dev/null || apt_install nodejs npm
  if [ ! -d "$home/node_modules/oidc-provider" ]; then
    mkdir -p "$home"
    [ -f "$home/package.json" ] || echo '{"name": "hopnhat-oidc-test-provider", "private": true}' > "$home/package.json"
    npm install --prefix "$home" --no-audit --no-fund --silent oidc-provider@9 >/dev/null
  fi
  wait_for oidc-provider node -e "require.resolve('oidc-provider', {paths: ['$home']})"
}

ensure_fonts() {
  # The dossier receipt slip (dossiers/slip.py) embeds DejaVu Sans for its Vietnamese text; the visible digital
  # signature (documents/signing.py) GNU FreeSerif, a Times-like face with 1000 units per em.
  [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf ] || apt_install fonts-dejavu-core
  [ -f /usr/share/fonts/truetype/freefont/FreeSerif.ttf ] || apt_install fonts-freefont-ttf
  wait_for "DejaVu fonts" test -f /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf
  wait_for "FreeSerif font" test -f /usr/share/fonts/truetype/freefont/FreeSerif.ttf
}

ensure_softhsm() {
  # Officials sign with USB tokens: the signing tests use a real PKCS#11 token (SoftHSM2, initialised by the tests
  # in their own directory with OpenSC's pkcs11-tool) and poppler's pdfsig as an independent verifier.
  command -v softhsm2-util >/dev/null || apt_install softhsm2
  command -v pkcs11-tool >/dev/null || apt_install opensc
  command -v pdfsig >/dev/null || apt_install poppler-utils
  wait_for SoftHSM2 test -f /usr/lib/softhsm/libsofthsm2.so
  wait_for pdfsig pdfsig -v
}

ensure_mailservers() {
  # The project's own Postfix (SMTP in, LMTP out), Dovecot (IMAP, LMTP), OpenLDAP slapd and Radicale (CardDAV, from
  # the venv), configured under var/mailserver from src/hopnhat/mail/server_templates on loopback ports (SMTP 10025,
  # LMTP 10024, IMAP 10143, LDAP 10389, CardDAV 10232); the machine's own mail set-up is neither read nor changed.
  # Tests start instances of their own on free ports.
  command -v postfix >/dev/null || [ -x /usr/sbin/postfix ] || \
    { echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections 2>/dev/null; apt_install postfix; }
  command -v dovecot >/dev/null || [ -x /usr/sbin/dovecot ] || apt_install dovecot-imapd dovecot-lmtpd
  command -v slapd >/dev/null || [ -x /usr/sbin/slapd ] || \
    { echo "slapd slapd/no_configuration boolean true" | debconf-set-selections 2>/dev/null; apt_install slapd ldap-utils; }
  command -v ldapsearch >/dev/null || apt_install ldap-utils
  command -v mbsync >/dev/null || apt_install isync   # bench/mail_migrate.py's anchor
  local py=${VENV:-$PWD/.venv}/bin/python
  PYTHONPATH=$PWD/src "$py" -m hopnhat.mail.servers start >/dev/null || echo "  mail servers: start failed" >&2
  local port
  for port in ${HOPNHAT_MAIL_SMTP_PORT:-10025} ${HOPNHAT_MAIL_IMAP_PORT:-10143} ${HOPNHAT_MAIL_LMTP_PORT:-10024} \
              ${HOPNHAT_LDAP_PORT:-10389} ${HOPNHAT_CARDDAV_PORT:-10232}; do
    wait_for "mail server :$port" bash -c "exec 3<>/dev/tcp/127.0.0.1/$port"
  done
}

ensure_clamav() {
  # Uploads of the online submission (dossiers/online.py) are scanned by a real clamd: its own config, socket and
  # database under var/clamav, started here. Without internet (no freshclam) it loads the small signature file the
  # project ships for tests (scripts/clamav/hopnhat-test.hdb: the EICAR test file); production points
  # DatabaseDirectory at freshclam's databases (/var/lib/clamav) instead.
  command -v clamd >/dev/null || [ -x /usr/sbin/clamd ] || apt_install clamav-daemon
  local home=${HOPNHAT_CLAMAV_HOME:-$PWD/var/clamav}
  mkdir -p "$home/db"
  cp -f scripts/clamav/hopnhat-test.hdb "$home/db/"
  [ -n "$(ls /var/lib/clamav/*.c?d 2>/dev/null)" ] && [ -z "${HOPNHAT_CLAMAV_TEST_DB_ONLY:-}" ] && \
    ln -sf /var/lib/clamav/*.c?d "$home/db/" 2>/dev/null
  cat > "$home/clamd.conf" <<CONF
LocalSocket $home/clamd.sock
PidFile $home/clamd.pid
DatabaseDirectory $home/db
LogFile $home/clamd.log
Foreground no
User root
Bytecode no
StreamMaxLength 25M
CONF
  if ! [ -S "$home/clamd.sock" ] || ! kill -0 "$(cat "$home/clamd.pid" 2>/dev/null)" 2>/dev/null; then
    rm -f "$home/clamd.sock"
    /usr/sbin/clamd -c "$home/clamd.conf"
  fi
  wait_for clamd test -S "$home/clamd.sock"
}

ensure_services() {
  echo "Services:"
  ensure_postgres
  ensure_mariadb
  ensure_redis
  ensure_nginx
  ensure_oidc_provider
  ensure_chromium
  ensure_fonts
  ensure_softhsm
  ensure_mailservers
  ensure_clamav
}
