"""Settings come from the environment; the defaults are the embedded (SQLite, in-process) setup.

DATABASE_URL      postgres://… in production; default sqlite file var/hopnhat.sqlite3
HOPNHAT_VAR_DIR   where the embedded database, uploads and the generated secret live (default ./var)
HOPNHAT_DEBUG     "1" only for the demo; never in production
HOPNHAT_SECRET_KEY  required in production; generated once into var/ when absent
HOPNHAT_ALLOWED_HOSTS  comma-separated
HOPNHAT_TEST_DB_NAME  name of the throw-away PostgreSQL test database (lets parallel runs coexist)
"""

import importlib.util
import os
import secrets
from pathlib import Path

import dj_database_url

SRC_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("HOPNHAT_VAR_DIR", Path.cwd() / "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    if key := os.environ.get("HOPNHAT_SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "") in {"1", "true", "yes"}


DEBUG = _env_flag("HOPNHAT_DEBUG")
SECRET_KEY = _secret_key()
# Keyed hashes of personal ID numbers (CCCD) use their own key so that rotating SECRET_KEY (sessions)
# does not break look-ups.
PII_HASH_KEY = os.environ.get("HOPNHAT_PII_HASH_KEY", SECRET_KEY)
ALLOWED_HOSTS = [h for h in os.environ.get("HOPNHAT_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
# Under pytest (which sets PYTEST_VERSION before Django loads) or HOPNHAT_TESTING: plain-HTTP live servers.
TESTING = bool(os.environ.get("HOPNHAT_TESTING") or os.environ.get("PYTEST_VERSION"))
if TESTING:
    ALLOWED_HOSTS.append("testserver")

INSTALLED_APPS = [
    "hopnhat.core",
    "hopnhat.shell",   # the one interface over the apps below it, and the demo
    "hopnhat.org",
    "hopnhat.consolidation",
    "hopnhat.consolidation.inventory",
    "hopnhat.portal",
    "hopnhat.portal.crosswalk",
    "hopnhat.portal.search",
    "hopnhat.dossiers",
    "hopnhat.documents",
    "hopnhat.mail",
    "hopnhat.reports",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django_tasks",
    "django_tasks_db",   # the worker backend for production: HOPNHAT_TASK_BACKEND=django_tasks_db.DatabaseBackend
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
]

# The CI check that migrations roll (docs/contributing.md): `hopnhat lintmigrations`, a test dependency.
if importlib.util.find_spec("django_migration_linter"):
    INSTALLED_APPS.append("django_migration_linter")
MIGRATION_LINTER_OPTIONS = {"no_cache": True}

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Old portals' hosts are answered first (301/410/API), before sessions and the page tree.
    "hopnhat.portal.crosswalk.middleware.CrosswalkMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "hopnhat.core.middleware.LanguageMiddleware",  # Django's LocaleMiddleware, Vietnamese unless switched
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "hopnhat.core.middleware.AuditActorMiddleware",  # audited model changes name the signed-in user
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Kept for page moves inside the new portal (404s only); old portals' URLs are the crosswalk's, above.
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "hopnhat.urls"
WSGI_APPLICATION = "hopnhat.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [SRC_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "hopnhat.shell.context_processors.site_shell",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'hopnhat.sqlite3'}"),
        conn_max_age=int(os.environ.get("HOPNHAT_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the demo server read while an import writes; the timeout rides out short write locks.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Tests use a file too, as the embedded setup does, so threads and processes really contend for writes.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
if name := os.environ.get("HOPNHAT_TEST_DB_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": name}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Citizens sign in with VNeID through the national SSO (OpenID Connect); off until the issuer is set.
HOPNHAT_OIDC = {
    "issuer": os.environ.get("HOPNHAT_OIDC_ISSUER", ""),
    "client_id": os.environ.get("HOPNHAT_OIDC_CLIENT_ID", ""),
    "client_secret": os.environ.get("HOPNHAT_OIDC_CLIENT_SECRET", ""),
    "scope": os.environ.get("HOPNHAT_OIDC_SCOPE", "openid profile"),
    "acr_values": os.environ.get("HOPNHAT_OIDC_ACR_VALUES", ""),
}
LOGIN_URL = "shell:login"
LOGIN_REDIRECT_URL = "shell:staff-home"
LOGOUT_REDIRECT_URL = "shell:home"

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [SRC_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [SRC_DIR / "static"]  # the site shell's own CSS (hopnhat/site.css), beside the apps' static dirs
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG and not TESTING
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if os.environ.get("HOPNHAT_BEHIND_TLS_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000

# In-process by default (the embedded setup); production sets django_tasks_db.DatabaseBackend and runs
# `hopnhat db_worker` on each worker machine (tasks queue in PostgreSQL, claimed with SKIP LOCKED).
TASKS = {"default": {"BACKEND": os.environ.get("HOPNHAT_TASK_BACKEND",
                                               "django_tasks.backends.immediate.ImmediateBackend")}}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if redis_url := os.environ.get("REDIS_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}}

# Dossiers: the DVCQG adapter the outbox posts to (`hopnhat dossiers outbox send`; no url = not connected) and the
# public look-up's limit per client (attempts, seconds), counted in the cache above (Redis in production).
HOPNHAT_DVCQG = {"url": os.environ.get("HOPNHAT_DVCQG_URL", ""),
                 "auth_url": os.environ.get("HOPNHAT_DVCQG_AUTH_URL", ""),
                 "username": os.environ.get("HOPNHAT_DVCQG_USERNAME", ""),
                 "password": os.environ.get("HOPNHAT_DVCQG_PASSWORD", "")}
# Backups kept by `hopnhat backup` after each run: "daily=7,weekly=4,monthly=12" (core.backup.KEEP when unset).
HOPNHAT_BACKUP_KEEP = os.environ.get("HOPNHAT_BACKUP_KEEP", "")
HOPNHAT_LOOKUP_RATE = (int(os.environ.get("HOPNHAT_LOOKUP_ATTEMPTS", "10")), 60)

WAGTAIL_SITE_NAME = "Cổng thông tin điện tử"
WAGTAILADMIN_BASE_URL = os.environ.get("HOPNHAT_BASE_URL", "http://127.0.0.1:8000")
WAGTAIL_I18N_ENABLED = False
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("HOPNHAT_LOG_LEVEL", "WARNING")},
}

# documents.signing: a timestamp authority for PAdES B-T (B-B without one) and the roots a signature must chain to
# to be reported "valid" (PEM/DER files or directories, comma-separated).
HOPNHAT_SIGNING = {
    "tsa_url": os.environ.get("HOPNHAT_SIGNING_TSA_URL", ""),
    "trust_roots": [p for p in os.environ.get("HOPNHAT_SIGNING_TRUST_ROOTS", "").split(",") if p],
    # who signs with which key on the sign step (documents.signing.key_for): keys.json {username: {"key":
    # "path.p12" | "pkcs11:MODULE?token=…", "secret_env": "VAR"}}, and trust/ (more roots), in this directory
    # (empty: $HOPNHAT_VAR_DIR/signing)
    "dir": os.environ.get("HOPNHAT_SIGNING_DIR", ""),
}
# Issue 13 (B2): bounds on uploads and imports (core.archives; zip bombs), and the staging retention of a system
# whose cutover is done (consolidation.staging; `hopnhat consolidate purge-staging`).
_MB = 1024 * 1024
FILE_UPLOAD_HANDLERS = ["hopnhat.core.archives.BoundedUploadHandler",
                        "django.core.files.uploadhandler.MemoryFileUploadHandler",
                        "django.core.files.uploadhandler.TemporaryFileUploadHandler"]
HOPNHAT_UPLOAD_MAX_BYTES = int(os.environ.get("HOPNHAT_UPLOAD_MAX_MB", "64")) * _MB        # one request's body
HOPNHAT_IMPORT_MAX_BYTES = int(os.environ.get("HOPNHAT_IMPORT_MAX_MB", "64")) * _MB        # one imported file
HOPNHAT_ARCHIVE_MAX_UNCOMPRESSED = int(os.environ.get("HOPNHAT_ARCHIVE_MAX_UNCOMPRESSED_MB", "256")) * _MB
HOPNHAT_ARCHIVE_MAX_ENTRIES = int(os.environ.get("HOPNHAT_ARCHIVE_MAX_ENTRIES", "10000"))
HOPNHAT_ARCHIVE_MAX_RATIO = int(os.environ.get("HOPNHAT_ARCHIVE_MAX_RATIO", "100"))        # per entry ≥ 1 MB
HOPNHAT_STAGING_RETENTION_DAYS = int(os.environ.get("HOPNHAT_STAGING_RETENTION_DAYS", "180"))
# The portal's identity (issue 19, "looks like a public service"): the responsible agency, its contact details and
# the operating licence line Vietnamese government portals carry in their footer, and the unit's logo. Set them per
# deployment; the defaults describe the demo's merged Tuyên Quang province and say that they are a demo.
HOPNHAT_PORTAL = {
    "agency": os.environ.get("HOPNHAT_PORTAL_AGENCY", "Ủy ban nhân dân tỉnh Tuyên Quang"),
    "agency_en": os.environ.get("HOPNHAT_PORTAL_AGENCY_EN", "People's Committee of Tuyên Quang province"),
    "address": os.environ.get("HOPNHAT_PORTAL_ADDRESS", "Số 160 đường Trần Hưng Đạo, phường Minh Xuân, "
                                                        "tỉnh Tuyên Quang"),
    "hotline": os.environ.get("HOPNHAT_PORTAL_HOTLINE", "0207 3822 345"),
    "email": os.environ.get("HOPNHAT_PORTAL_EMAIL", "congthongtin@tuyenquang.gov.vn"),
    "licence": os.environ.get("HOPNHAT_PORTAL_LICENCE", "Giấy phép thiết lập trang thông tin điện tử tổng hợp "
                                                        "trên Internet (bản demo, chưa cấp phép)"),
    "licence_en": os.environ.get("HOPNHAT_PORTAL_LICENCE_EN", "Licence to operate a general information website "
                                                              "(demo, not licensed)"),
    "responsible": os.environ.get("HOPNHAT_PORTAL_RESPONSIBLE", "Chánh Văn phòng UBND tỉnh Tuyên Quang"),
    "responsible_en": os.environ.get("HOPNHAT_PORTAL_RESPONSIBLE_EN", "Chief of the Office of the Provincial "
                                                                      "People's Committee"),
    # a static path (hopnhat/logo.svg) or an absolute URL
    "logo": os.environ.get("HOPNHAT_PORTAL_LOGO", "hopnhat/logo.svg"),
    "site_name_en": os.environ.get("HOPNHAT_SITE_NAME_EN", "Electronic information portal"),
}
MIDDLEWARE.append("hopnhat.core.middleware.SiteNotFoundMiddleware")   # the site's 404 page, in the demo too

# ---- Security hardening (issue 13) ----------------------------------------------------------------------------

def _audit_key() -> str:
    """The audit chain's HMAC key: never in the database, so whoever holds the database cannot recompute the chain.
    HOPNHAT_AUDIT_KEY in production (from a secret store, a different host than the database's backups); else
    generated once into var/audit_key (0600)."""
    if key := os.environ.get("HOPNHAT_AUDIT_KEY"):
        return key
    path = VAR_DIR / "audit_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


HOPNHAT_AUDIT_KEY = _audit_key()
# `hopnhat audit checkpoint` (hourly timer) appends the chain's head here; keep it on storage the database's
# administrators cannot rewrite (chattr +a, a WORM mount, or HOPNHAT_AUDIT_SYSLOG: /dev/log or host:514 to a remote
# log server).
HOPNHAT_AUDIT_CHECKPOINT_LOG = os.environ.get("HOPNHAT_AUDIT_CHECKPOINT_LOG", str(VAR_DIR / "audit-checkpoints.log"))
HOPNHAT_AUDIT_SYSLOG = os.environ.get("HOPNHAT_AUDIT_SYSLOG", "")

# The client's address: behind N reverse proxies that append to X-Forwarded-For (our nginx: 1), the N-th entry from
# the right; 0 (default) = the socket's peer. Used by the look-up rate limit and the sign-in lockout.
HOPNHAT_TRUSTED_PROXIES = int(os.environ.get("HOPNHAT_TRUSTED_PROXIES", "0"))
# Rate-limit counters shared by all workers: Django's cache when Redis is configured, else the database.
HOPNHAT_RATE_STORE = "cache" if os.environ.get("REDIS_URL") else "database"
# The public look-up is limited per dossier code as well (attempts, seconds): guessing one code's phone digits from
# many addresses stops there.
HOPNHAT_LOOKUP_CODE_RATE = (int(os.environ.get("HOPNHAT_LOOKUP_CODE_ATTEMPTS", "20")), 3600)

# Sign-in throttling (django-axes): after HOPNHAT_SIGNIN_FAILURES wrong passwords an account, and separately an
# address, is locked for HOPNHAT_SIGNIN_LOCKOUT_MINUTES; HOPNHAT_SIGNIN_LOCKOUT_BY=username only for offices whose
# officials all share one NAT address. Unlock: `hopnhat signin unlock`, /can-bo/khoa-dang-nhap/ or the admin.
INSTALLED_APPS.append("axes")
AUTHENTICATION_BACKENDS = ["hopnhat.shell.signin.ThrottledBackend", "django.contrib.auth.backends.ModelBackend"]
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
AXES_FAILURE_LIMIT = int(os.environ.get("HOPNHAT_SIGNIN_FAILURES", "10"))
AXES_COOLOFF_TIME = int(os.environ.get("HOPNHAT_SIGNIN_LOCKOUT_MINUTES", "30")) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [[p.strip()] for p in os.environ.get("HOPNHAT_SIGNIN_LOCKOUT_BY",
                                                                "username,ip_address").split(",") if p.strip()]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "hopnhat.core.clientip.client_ip"
AXES_LOCKOUT_CALLABLE = "hopnhat.shell.signin.locked_out"
AXES_VERBOSE = False

# Content-Security-Policy (django-csp): the site's pages use no scripts and no inline styles, so their policy allows
# only our own style sheets, images and forms; the Django admin, Wagtail (/cms/) and the API docs get their own.
from csp.constants import NONCE, NONE, SELF  # noqa: E402

_OIDC_ORIGIN = "/".join(HOPNHAT_OIDC["issuer"].split("/")[:3]) if HOPNHAT_OIDC["issuer"] else ""
CONTENT_SECURITY_POLICY = {"DIRECTIVES": {
    "default-src": [NONE],
    "script-src": [SELF],
    "style-src": [SELF, NONCE],   # a page's own <style nonce="{{ request.csp_nonce }}"> block, nothing else inline
    "img-src": [SELF, "data:"],
    "font-src": [SELF],
    "connect-src": [SELF],
    "manifest-src": [SELF],
    "form-action": [SELF] + ([_OIDC_ORIGIN] if _OIDC_ORIGIN else []),  # sign-out continues at VNeID's end-session
    "frame-ancestors": [NONE],
    "base-uri": [NONE],
    "object-src": [NONE],
}}
HOPNHAT_ADMIN_CSP_PREFIXES = ["/django-admin/", "/cms/", "/api/v1/docs"]
HOPNHAT_ADMIN_CSP = {
    "default-src": [SELF],
    "script-src": [SELF, "'unsafe-inline'", "https://cdn.jsdelivr.net"],  # Wagtail's inline data; ninja's docs
    "style-src": [SELF, "'unsafe-inline'", "https://cdn.jsdelivr.net"],
    "img-src": [SELF, "data:", "blob:", "https:"],   # embeds' thumbnails, editors' pasted images
    "font-src": [SELF, "data:"],
    "connect-src": [SELF],
    "frame-src": [SELF, "https:"],                  # page previews, video embeds
    "frame-ancestors": [SELF],
    "form-action": [SELF],
    "base-uri": [SELF],
    "object-src": [NONE],
}
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                  "hopnhat.core.middleware.ContentSecurityPolicyMiddleware")
# Mail and directory (hopnhat.mail): the project's own Postfix, Dovecot and slapd (mail/servers.py), configured
# under HOPNHAT_MAIL_DIR on loopback ports; addresses derived by `address_pattern`; old addresses forwarded for
# `forward_months`, then answered "user has moved".
HOPNHAT_MAIL = {
    "dir": Path(os.environ.get("HOPNHAT_MAIL_DIR", VAR_DIR / "mailserver")),
    "smtp_port": int(os.environ.get("HOPNHAT_MAIL_SMTP_PORT", "10025")),
    "lmtp_port": int(os.environ.get("HOPNHAT_MAIL_LMTP_PORT", "10024")),
    "imap_port": int(os.environ.get("HOPNHAT_MAIL_IMAP_PORT", "10143")),
    "ldap_port": int(os.environ.get("HOPNHAT_LDAP_PORT", "10389")),
    "hostname": os.environ.get("HOPNHAT_MAIL_HOSTNAME", "mail.hopnhat.local"),
    "ldap_suffix": os.environ.get("HOPNHAT_LDAP_SUFFIX", "dc=hopnhat,dc=vn"),
    "address_pattern": os.environ.get("HOPNHAT_MAIL_ADDRESS_PATTERN", "{given}{initials}"),
    "forward_months": int(os.environ.get("HOPNHAT_MAIL_FORWARD_MONTHS", "12")),
    "carddav_port": int(os.environ.get("HOPNHAT_CARDDAV_PORT", "10232")),
}
