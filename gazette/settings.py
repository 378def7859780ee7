"""Gazette's settings, read from the environment.

They fail closed: ``GAZETTE_ENV`` defaults to ``production``, which refuses to start without
``SECRET_KEY``, ``ALLOWED_HOSTS`` and ``DATABASE_URL``. ``GAZETTE_ENV=development`` is for a
developer's machine (a generated key kept in the data directory, SQLite, local hosts only).
The demo newsroom has its own settings module, ``gazette.demo.settings``.
DEBUG is off unless ``GAZETTE_DEBUG=1`` is set outside production.
"""

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent

ENV = os.environ.get("GAZETTE_ENV", "production")
if ENV not in ("production", "development"):
    raise ImproperlyConfigured(
        f"GAZETTE_ENV={ENV!r} is not known: use 'production' or 'development'."
    )
PRODUCTION = ENV == "production"


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a yes/no value: use 1 or 0.")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("GAZETTE_DATA_DIR", "var")).resolve()

if PRODUCTION:
    missing = [
        name for name in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL") if not os.environ.get(name)
    ]
    if missing:
        raise ImproperlyConfigured(
            "GAZETTE_ENV=production needs these environment variables, which are not set: "
            + ", ".join(missing)
            + ". Set them (see README.md, 'Deploying'), or use GAZETTE_ENV=development "
            "on a developer's machine."
        )


def _development_secret_key() -> str:
    """A key generated once per data directory, so sessions survive restarts."""
    path = DATA_DIR / "secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = os.environ.get("SECRET_KEY") or _development_secret_key()
DEBUG = False if PRODUCTION else env_bool("GAZETTE_DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,[::1]")

INSTALLED_APPS = [
    "gazette.newsroom",
    "gazette.publishing",
    "gazette.newsletters",
    "gazette.support",
    "gazette.accounts",
    "gazette.insights",
    "gazette.privacy",
    "gazette.demo",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp_webauthn",
    "anymail",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "gazette.accounts.users_app.UsersConfig",  # wagtail.users, audited (see there)
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.locales",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_tasks",
    "django_tasks_db",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
]

MIDDLEWARE = [
    "gazette.publishing.middleware.HttpsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "gazette.publishing.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "gazette.publishing.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "gazette.accounts.middleware.StaffSignInMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "gazette.urls"
WSGI_APPLICATION = "gazette.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'gazette.sqlite3'}",
        conn_max_age=int(os.environ.get("GAZETTE_DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the worker writes; the timeout rides out short locks.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            # Read through the OS page cache, and keep more pages per connection.
            "PRAGMA mmap_size=268435456; PRAGMA cache_size=-65536;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Argon2 for new and changed passwords; older hashes still check, and are upgraded to
# Argon2 at the user's next sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Languages. English has no URL prefix; every other language lives under /<code>/.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = os.environ.get("GAZETTE_TIME_ZONE", "Europe/Riga")
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("GAZETTE_STATIC_ROOT", DATA_DIR / "static"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("GAZETTE_MEDIA_ROOT", DATA_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Shared cache and task queue. Without REDIS_URL everything runs on one machine: the task queue
# lives in the database (django-tasks-db, `gazette worker`). With REDIS_URL, web servers and
# workers on several machines share Redis for the cache and the queue (django-tasks-rq).
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "gazette",
        }
    }
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
else:
    # On disk, so the web server and the worker on this machine share it (Wagtail caches
    # the site's root paths there and clears them when a site changes).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Wagtail
WAGTAIL_SITE_NAME = os.environ.get("GAZETTE_SITE_NAME", "Gazette")


def _default_base_url() -> str:
    if not PRODUCTION:
        return "http://127.0.0.1:8000"
    host = ALLOWED_HOSTS[0]
    if host == "*" or host.startswith("."):
        raise ImproperlyConfigured(
            f"ALLOWED_HOSTS starts with {host!r}, which names no single host: set "
            "GAZETTE_BASE_URL to the newsroom's primary address, e.g. https://lantern.example"
        )
    return f"https://{host}"


WAGTAILADMIN_BASE_URL = os.environ.get("GAZETTE_BASE_URL") or _default_base_url()
# The primary address: named by canonical links and feeds. Pages link relatively otherwise.
GAZETTE_BASE_URL = WAGTAILADMIN_BASE_URL.rstrip("/")
# The page store renders pages as if requested on the primary host, so it must be allowed.
GAZETTE_RENDER_HOST = urlsplit(GAZETTE_BASE_URL).netloc
if GAZETTE_RENDER_HOST and "*" not in ALLOWED_HOSTS:
    ALLOWED_HOSTS.append(urlsplit(GAZETTE_BASE_URL).hostname)
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 20 * 1024 * 1024
# Uploads are re-encoded without EXIF/GPS (gazette/newsroom/images.py), in these formats only
# (no SVG: it can carry script), and at most 50 megapixels (a decompression bomb is refused
# before it is decoded).
WAGTAILIMAGES_IMAGE_FORM_BASE = "gazette.newsroom.images.ImageForm"
WAGTAILIMAGES_EXTENSIONS = ["jpg", "jpeg", "png", "webp", "gif"]
WAGTAILIMAGES_MAX_IMAGE_PIXELS = 50_000_000
# Documents are served through Wagtail's view as downloads, never as pages of our origin, and
# only these types may be uploaded (an uploaded .html or .svg could run script on our origin).
WAGTAILDOCS_EXTENSIONS = ["pdf", "docx", "odt", "xlsx", "ods", "pptx", "odp", "csv", "txt", "epub"]
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAILEMBEDS_FINDERS: list = []  # embeds are rendered by our own block; never fetched
WAGTAIL_ENABLE_UPDATE_CHECK = False  # the admin must not call out to wagtail.org
WAGTAILADMIN_PATH = os.environ.get("GAZETTE_ADMIN_PATH", "admin").strip("/")
# The relying party's origins for WebAuthn; the host each request came to is added to them
# (gazette/accounts/webauthn.py), so an onion address works too.
OTP_WEBAUTHN_ALLOWED_ORIGINS = [
    GAZETTE_BASE_URL if GAZETTE_BASE_URL.startswith("https://") else "http://localhost"
]
TAGGIT_CASE_INSENSITIVE = True

# Sessions and cookies: only staff ever get one.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 12 * 3600

# Staff sign-in (gazette/accounts/signin.py, middleware.py). Every staff account needs a
# second factor: a security key or passkey (WebAuthn), or an authenticator app (TOTP).
# A session ends after this many seconds without a request, whatever SESSION_COOKIE_AGE says.
GAZETTE_SESSION_IDLE_TIMEOUT = int(os.environ.get("GAZETTE_SESSION_IDLE_TIMEOUT", "3600"))
# Failed sign-ins counted in a window (seconds): past PER_CLIENT from one address, that
# address waits out the window; past PER_ACCOUNT for one account, the account is locked for
# the window, except in browsers that have signed in to it before.
GAZETTE_SIGNIN_WINDOW = int(os.environ.get("GAZETTE_SIGNIN_WINDOW", "900"))
GAZETTE_SIGNIN_PER_CLIENT = int(os.environ.get("GAZETTE_SIGNIN_PER_CLIENT", "20"))
GAZETTE_SIGNIN_PER_ACCOUNT = int(os.environ.get("GAZETTE_SIGNIN_PER_ACCOUNT", "10"))
OTP_WEBAUTHN_HELPER_CLASS = "gazette.accounts.webauthn.Helper"
# The primary host and the site's name; the helper uses the host each request came to.
OTP_WEBAUTHN_RP_ID = urlsplit(GAZETTE_BASE_URL).hostname or "localhost"
OTP_WEBAUTHN_RP_NAME = WAGTAIL_SITE_NAME
# Second factor only: a key alone never signs anyone in (the password comes first).
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_TOTP_ISSUER = WAGTAIL_SITE_NAME
CSRF_COOKIE_HTTPONLY = True

# Security headers. Reader pages get a strict Content-Security-Policy from
# gazette.publishing.middleware; these are Django's own.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
GAZETTE_SSL_REDIRECT = False
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # The redirect to HTTPS is gazette.publishing.middleware.HttpsMiddleware's, which leaves
    # onion hosts on plain HTTP; Django's would redirect them too.
    GAZETTE_SSL_REDIRECT = env_bool("GAZETTE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("GAZETTE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("GAZETTE_HSTS_INCLUDE_SUBDOMAINS", True)
    # Preloading binds every subdomain to HTTPS in browsers for months and is slow to undo:
    # a newsroom opts in (GAZETTE_HSTS_PRELOAD=1); until then Django's reminder
    # (security.W021) is silenced.
    SECURE_HSTS_PRELOAD = env_bool("GAZETTE_HSTS_PRELOAD", False)
    # security.W008 asks for Django's SECURE_SSL_REDIRECT; ours (above) does the redirect.
    SILENCED_SYSTEM_CHECKS = ["security.W008"]
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS.append("security.W021")
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS") or [
        f"https://{host}" for host in ALLOWED_HOSTS if host != "*" and not host.startswith(".")
    ]

# The page store: public pages rendered to files, answered before Django (see publishing/).
GAZETTE_STORE_DIR = Path(os.environ.get("GAZETTE_STORE_DIR", DATA_DIR / "store"))
GAZETTE_READ_PATH = env_bool("GAZETTE_READ_PATH", True)
GAZETTE_READ_CACHE_MB = int(os.environ.get("GAZETTE_READ_CACHE_MB", "64"))
# How long the read path serves a cached page before looking at its file again (seconds).
GAZETTE_READ_CHECK_INTERVAL = float(os.environ.get("GAZETTE_READ_CHECK_INTERVAL", "1"))
# Processes that render a full build of a big site (default: one per core).
GAZETTE_BUILD_JOBS = int(os.environ.get("GAZETTE_BUILD_JOBS") or os.cpu_count() or 1)

# How often an idle database-queue worker looks for new tasks (seconds): it bounds the
# delay between a publish and the page store's update.
GAZETTE_WORKER_INTERVAL = float(os.environ.get("GAZETTE_WORKER_INTERVAL", "0.1"))

# Scheduled publishing: how often the worker's clock looks for pages that are due.
GAZETTE_SCHEDULE_INTERVAL = int(os.environ.get("GAZETTE_SCHEDULE_INTERVAL", "20"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("GAZETTE_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Mirrors (`gazette mirror push`, gazette/publishing/mirroring.py): named targets, e.g.
# GAZETTE_MIRROR_TARGETS="local=file:///srv/mirror,bucket=s3://my-bucket/prefix". They are
# checked when a push runs, so a mistake here stops only the push, never the site. S3
# credentials and region come from the standard AWS_* variables boto3 reads;
# GAZETTE_S3_ENDPOINT_URL points at an S3-compatible service other than AWS (MinIO, Ceph, ...).
GAZETTE_MIRROR_TARGETS = os.environ.get("GAZETTE_MIRROR_TARGETS", "")
GAZETTE_S3_ENDPOINT_URL = os.environ.get("GAZETTE_S3_ENDPOINT_URL", "")
# botocore logs where it found credentials at INFO; a push's output should be its summary.
LOGGING["loggers"]["botocore"] = {"level": "WARNING"}

# Newsletters (gazette/newsletters/). The mail server bulk sends go to: a relay or the MTA on
# this machine, e.g. smtp://127.0.0.1:25, smtps://user:password@relay.example:465, or
# smtp://user:password@relay.example:587?starttls=1.
GAZETTE_NEWSLETTER_SMTP_URL = os.environ.get(
    "GAZETTE_NEWSLETTER_SMTP_URL", "" if PRODUCTION else "smtp://127.0.0.1:25"
)
# Connections a sending worker keeps open, and the most messages a second it sends (0: no limit).
GAZETTE_NEWSLETTER_CONNECTIONS = int(os.environ.get("GAZETTE_NEWSLETTER_CONNECTIONS", "8"))
GAZETTE_NEWSLETTER_RATE = float(os.environ.get("GAZETTE_NEWSLETTER_RATE", "0"))
# The name a worker gives in EHLO: this machine's name in DNS, matching its reverse DNS
# (receivers check). By default the newsroom's host.
GAZETTE_NEWSLETTER_EHLO_NAME = os.environ.get(
    "GAZETTE_NEWSLETTER_EHLO_NAME", urlsplit(GAZETTE_BASE_URL).hostname or "localhost"
)
# How long a worker's claim on a batch lasts without renewal (seconds): after a crash, its
# deliveries wait this long before another worker sends them.
GAZETTE_NEWSLETTER_LEASE = int(os.environ.get("GAZETTE_NEWSLETTER_LEASE", "300"))
# Messages a worker hands to the mail server together (two such chunks are in flight at a
# time, which bounds what a crash can leave uncertain); larger is a little faster.
GAZETTE_NEWSLETTER_CHUNK = int(os.environ.get("GAZETTE_NEWSLETTER_CHUNK", "32"))
# The first retry after a temporary failure (seconds); each later one waits twice as long.
GAZETTE_NEWSLETTER_RETRY_BASE = int(os.environ.get("GAZETTE_NEWSLETTER_RETRY_BASE", "60"))
# How newsletters leave: "smtp" (the server above, with our own DKIM signature), or a
# provider's API through django-anymail, "ses" (Amazon SES) or "postmark", which sign with
# DKIM themselves. GAZETTE_NEWSLETTER_RATE and _CONNECTIONS apply to whichever is chosen.
GAZETTE_NEWSLETTER_TRANSPORT = os.environ.get("GAZETTE_NEWSLETTER_TRANSPORT", "smtp")
if GAZETTE_NEWSLETTER_TRANSPORT not in ("smtp", "ses", "postmark"):
    raise ImproperlyConfigured(
        f"GAZETTE_NEWSLETTER_TRANSPORT={GAZETTE_NEWSLETTER_TRANSPORT!r} is not known: "
        "use smtp, ses or postmark."
    )
# Amazon SES: credentials come from the standard AWS_* variables (or the machine's role), as
# boto3 finds them. The configuration set is the one that publishes bounces and complaints to
# the SNS topic whose subscription calls /newsletters/webhooks/ses/. The endpoint is for an
# SES-compatible service other than AWS.
GAZETTE_SES_REGION = os.environ.get("GAZETTE_SES_REGION", "")
GAZETTE_SES_CONFIGURATION_SET = os.environ.get("GAZETTE_SES_CONFIGURATION_SET", "")
GAZETTE_SES_ENDPOINT_URL = os.environ.get("GAZETTE_SES_ENDPOINT_URL", "")
# Postmark: the server's API token, and the message stream: bulk mail belongs in a
# broadcast stream, never in the transactional one.
GAZETTE_POSTMARK_SERVER_TOKEN = os.environ.get("GAZETTE_POSTMARK_SERVER_TOKEN", "")
GAZETTE_POSTMARK_MESSAGE_STREAM = os.environ.get("GAZETTE_POSTMARK_MESSAGE_STREAM", "broadcast")
GAZETTE_POSTMARK_API_URL = os.environ.get(
    "GAZETTE_POSTMARK_API_URL", "https://api.postmarkapp.com/"
)
# Provider webhooks (bounces, complaints) authenticate with HTTP basic auth, as
# "user:password" in the URL given to the provider. Unset, the webhooks refuse everything.
ANYMAIL = {"WEBHOOK_SECRET": os.environ.get("GAZETTE_WEBHOOK_SECRET", "")}
# The mailbox VERP bounces arrive in (`gazette newsletter bounces`): a Maildir directory or
# an mbox file on this machine.
GAZETTE_NEWSLETTER_BOUNCE_MAILBOX = os.environ.get("GAZETTE_NEWSLETTER_BOUNCE_MAILBOX", "")
# Soft bounces: each day with one scores 1, halving every HALF_LIFE days; an address whose
# score reaches LIMIT is suppressed (the defaults: three weekly issues in a row).
GAZETTE_NEWSLETTER_SOFT_BOUNCE_LIMIT = float(
    os.environ.get("GAZETTE_NEWSLETTER_SOFT_BOUNCE_LIMIT", "2.5")
)
GAZETTE_NEWSLETTER_SOFT_BOUNCE_HALF_LIFE = float(
    os.environ.get("GAZETTE_NEWSLETTER_SOFT_BOUNCE_HALF_LIFE", "30")
)
# Complaints per delivered message of an issue above which editors are warned, and above
# which the send pauses (Gmail asks bulk senders to stay under 0.1% and never reach 0.3%).
# Judged only from MIN_DELIVERED messages on: before that, one complaint is already 0.1%.
GAZETTE_NEWSLETTER_COMPLAINT_WARN = float(
    os.environ.get("GAZETTE_NEWSLETTER_COMPLAINT_WARN", "0.001")
)
GAZETTE_NEWSLETTER_COMPLAINT_PAUSE = float(
    os.environ.get("GAZETTE_NEWSLETTER_COMPLAINT_PAUSE", "0.003")
)
GAZETTE_NEWSLETTER_COMPLAINT_MIN_DELIVERED = int(
    os.environ.get("GAZETTE_NEWSLETTER_COMPLAINT_MIN_DELIVERED", "1000")
)
# DKIM: the signing domain (align it with the newsletters' From domain) and its keys as
# selector:/path/to/private-key.pem, comma-separated (an RSA and an Ed25519 key sign both).
GAZETTE_DKIM_DOMAIN = os.environ.get("GAZETTE_DKIM_DOMAIN", "")
GAZETTE_DKIM_KEYS = env_list("GAZETTE_DKIM_KEYS")
# Newsletter signup (gazette/newsletters/signup.py). The privacy policy version each consent
# is recorded under: change it when the policy changes, so the record says what was agreed to.
GAZETTE_PRIVACY_POLICY_VERSION = os.environ.get("GAZETTE_PRIVACY_POLICY_VERSION", "1")
# How long a confirmation link works (days).
GAZETTE_SIGNUP_CONFIRM_DAYS = int(os.environ.get("GAZETTE_SIGNUP_CONFIRM_DAYS", "7"))
# Signups allowed per client address, and from everyone together, in one window (seconds).
GAZETTE_SIGNUP_WINDOW = int(os.environ.get("GAZETTE_SIGNUP_WINDOW", "3600"))
GAZETTE_SIGNUP_PER_CLIENT = int(os.environ.get("GAZETTE_SIGNUP_PER_CLIENT", "10"))
GAZETTE_SIGNUP_GLOBAL = int(os.environ.get("GAZETTE_SIGNUP_GLOBAL", "1000"))
# The proxies in front of granian (addresses or networks, comma-separated, e.g. "127.0.0.1"
# behind the nginx recipe): rate limits then count the reader's address from X-Forwarded-For
# (gazette/clients.py). Empty: REMOTE_ADDR is the reader's.
GAZETTE_TRUSTED_PROXIES = env_list("GAZETTE_TRUSTED_PROXIES")
# At most one confirmation mail per email address in this window (seconds): long enough that
# the form cannot be used to flood someone's mailbox, short enough that a reader whose first
# mail went astray can ask again the same day.
GAZETTE_SIGNUP_MAIL_WINDOW = int(os.environ.get("GAZETTE_SIGNUP_MAIL_WINDOW", "900"))
# How long the link to the preference page in a newsletter mail works (days). The page shows
# and changes all of a reader's newsletters, and mails get forwarded; the unsubscribe link,
# which touches one newsletter, works however old the mail is.
GAZETTE_PREFERENCES_LINK_DAYS = int(os.environ.get("GAZETTE_PREFERENCES_LINK_DAYS", "90"))

# Newsletter issues (gazette/newsletters/actions.py, scheduling.py, weekly.py). Times are in
# the newsroom's time zone (TIME_ZONE, from GAZETTE_TIME_ZONE).
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def env_weekday(name: str, default: str) -> int:
    value = os.environ.get(name, default).strip().lower()
    if value not in WEEKDAYS:
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a day of the week: use e.g. {default}."
        )
    return WEEKDAYS.index(value)


def env_clock_time(name: str, default: str) -> tuple[int, int]:
    value = os.environ.get(name, default).strip()
    hours, _, minutes = value.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
        raise ImproperlyConfigured(f"{name}={value!r} is not a time of day: use e.g. {default}.")
    return int(hours), int(minutes)


# The day the worker proposes a draft of the weekly issue from the week's articles.
GAZETTE_NEWSLETTER_DRAFT_DAY = env_weekday("GAZETTE_NEWSLETTER_DRAFT_DAY", "thursday")
# When the schedule form proposes to send: the next such day, at that time.
GAZETTE_NEWSLETTER_SEND_DAY = env_weekday("GAZETTE_NEWSLETTER_SEND_DAY", "friday")
GAZETTE_NEWSLETTER_SEND_TIME = env_clock_time("GAZETTE_NEWSLETTER_SEND_TIME", "08:00")
# An issue not started within this many seconds of its time (the system was down) is held
# for an editor instead of going out late.
GAZETTE_NEWSLETTER_LATE_WINDOW = int(os.environ.get("GAZETTE_NEWSLETTER_LATE_WINDOW", "7200"))
# Addresses a test send may go to besides staff users' own, e.g. a shared editors' mailbox.
GAZETTE_NEWSLETTER_TEST_ADDRESSES = env_list("GAZETTE_NEWSLETTER_TEST_ADDRESSES")


# --- Reader revenue (gazette/support) ---


def _development_donor_key() -> str:
    """A donor-record key generated once per data directory (development only)."""
    from cryptography.fernet import Fernet

    path = DATA_DIR / "donor_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(Fernet.generate_key().decode())
        path.chmod(0o600)
    return path.read_text().strip()


# Fernet keys sealing donors' names and emails, newest first (gazette/support/crypto.py
# and README, "Donor data"). Production has none unless given: donations then fail closed.
GAZETTE_DONOR_KEYS = env_list("GAZETTE_DONOR_KEYS") or (
    [] if PRODUCTION else [_development_donor_key()]
)
GAZETTE_DONOR_LINK_DAYS = int(os.environ.get("GAZETTE_DONOR_LINK_DAYS", "7"))
# Donors with no active gift are deleted this many days after their last payment or change.
GAZETTE_DONOR_RETENTION_DAYS = int(os.environ.get("GAZETTE_DONOR_RETENTION_DAYS", "365"))

# --- Retention and abuse (gazette/privacy, gazette/ratelimits.py) ---
# The Privacy Policy page lists these (gazette/privacy/retention.py); the worker purges daily.
# Newsletter sign-ups never confirmed are deleted this many days after the sign-up.
GAZETTE_UNCONFIRMED_RETENTION_DAYS = int(os.environ.get("GAZETTE_UNCONFIRMED_RETENTION_DAYS", "30"))
# Bounce and complaint reports (the suppressions they caused stay). Soft-bounce scoring reads
# 8 half-lives back (GAZETTE_NEWSLETTER_SOFT_BOUNCE_HALF_LIFE), so keep at least that.
GAZETTE_BOUNCE_RETENTION_DAYS = int(os.environ.get("GAZETTE_BOUNCE_RETENTION_DAYS", "365"))
# Keyed hashes of erased addresses (they keep an old list from re-subscribing them); 0: no limit.
GAZETTE_ERASED_ADDRESS_RETENTION_DAYS = int(
    os.environ.get("GAZETTE_ERASED_ADDRESS_RETENTION_DAYS", "1825")
)
# Reader search (/search/): queries per client, and from everyone, in one window (seconds).
GAZETTE_SEARCH_WINDOW = int(os.environ.get("GAZETTE_SEARCH_WINDOW", "60"))
GAZETTE_SEARCH_PER_CLIENT = int(os.environ.get("GAZETTE_SEARCH_PER_CLIENT", "30"))
GAZETTE_SEARCH_GLOBAL = int(os.environ.get("GAZETTE_SEARCH_GLOBAL", "600"))
# Every other public POST (confirm, unsubscribe, preferences, donor pages, test checkout, the
# webhooks): per client and overall in one window (seconds). Generous: these carry a token.
GAZETTE_POST_WINDOW = int(os.environ.get("GAZETTE_POST_WINDOW", "600"))
GAZETTE_POST_PER_CLIENT = int(os.environ.get("GAZETTE_POST_PER_CLIENT", "60"))
GAZETTE_POST_GLOBAL = int(os.environ.get("GAZETTE_POST_GLOBAL", "6000"))

GAZETTE_SUPPORT_FROM_EMAIL = os.environ.get("GAZETTE_SUPPORT_FROM_EMAIL", "")
# The built-in test provider walks a checkout through success, decline and cancel with no
# network. It is for the demo and tests, and production refuses it.
GAZETTE_SUPPORT_TEST_PROVIDER = env_bool("GAZETTE_SUPPORT_TEST_PROVIDER", not PRODUCTION)
if PRODUCTION and GAZETTE_SUPPORT_TEST_PROVIDER:
    raise ImproperlyConfigured(
        "GAZETTE_SUPPORT_TEST_PROVIDER=1 is refused in production: it accepts donations "
        "without taking any money. Unset it, or use GAZETTE_ENV=development."
    )
GAZETTE_STRIPE_SECRET_KEY = os.environ.get("GAZETTE_STRIPE_SECRET_KEY", "")
GAZETTE_STRIPE_WEBHOOK_SECRET = os.environ.get("GAZETTE_STRIPE_WEBHOOK_SECRET", "")
# Only for tests and staging: where the Stripe SDK sends its API calls.
GAZETTE_STRIPE_API_BASE = os.environ.get("GAZETTE_STRIPE_API_BASE", "")
# Checkout creation per client and for the whole site in a window (card-testing bots).
GAZETTE_SUPPORT_WINDOW = int(os.environ.get("GAZETTE_SUPPORT_WINDOW", "600"))
GAZETTE_SUPPORT_PER_CLIENT = int(os.environ.get("GAZETTE_SUPPORT_PER_CLIENT", "5"))
GAZETTE_SUPPORT_GLOBAL = int(os.environ.get("GAZETTE_SUPPORT_GLOBAL", "200"))
# The form where a donor asks for a fresh manage link (gazette/support/donors.py): requests
# per client address and from everyone together in a window (seconds), and at most one
# mail per email address in the mail window.
GAZETTE_DONOR_LINK_WINDOW = int(os.environ.get("GAZETTE_DONOR_LINK_WINDOW", "3600"))
GAZETTE_DONOR_LINK_PER_CLIENT = int(os.environ.get("GAZETTE_DONOR_LINK_PER_CLIENT", "5"))
GAZETTE_DONOR_LINK_GLOBAL = int(os.environ.get("GAZETTE_DONOR_LINK_GLOBAL", "500"))
GAZETTE_DONOR_LINK_MAIL_WINDOW = int(os.environ.get("GAZETTE_DONOR_LINK_MAIL_WINDOW", "900"))


# --- Insights (gazette/insights): cookieless page-view counts ---
# Per-day counts of page views and visitors are kept this many days (a year and a month, so
# a month compares with the same month last year); the worker's clock purges daily.
GAZETTE_INSIGHTS_RETENTION_DAYS = int(os.environ.get("GAZETTE_INSIGHTS_RETENTION_DAYS", "400"))
# Page views counted per reader's address in the window (seconds), and for everyone together:
# beyond them views are not counted, so a flood cannot turn into a flood of writes.
GAZETTE_INSIGHTS_WINDOW = int(os.environ.get("GAZETTE_INSIGHTS_WINDOW", "600"))
GAZETTE_INSIGHTS_PER_CLIENT = int(os.environ.get("GAZETTE_INSIGHTS_PER_CLIENT", "120"))
GAZETTE_INSIGHTS_GLOBAL = int(os.environ.get("GAZETTE_INSIGHTS_GLOBAL", "60000"))
