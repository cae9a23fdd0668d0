"""Settings shared by every environment, driven by environment variables.

SQLite (WAL, busy timeout) is the embedded default; ``DATABASE_URL`` selects PostgreSQL.
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("JICENG_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).lower() in {"1", "true", "yes", "on"}


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DEBUG")
# The calendar date the site works on (core.clock): unset in production; `make demo` sets it
# to a day of 2005 so that the demo lives in the year of the campaign it portrays.
JICENG_TODAY = os.environ.get("JICENG_TODAY") or None
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

# Keys for field encryption (Fernet, urlsafe base64 of 32 bytes) and the HMAC blind index.
# Rotating FIELD_ENCRYPTION_KEYS: put the new key first; old keys still decrypt.
FIELD_ENCRYPTION_KEYS = [k for k in os.environ.get("FIELD_ENCRYPTION_KEYS", "").split(",") if k]
BLIND_INDEX_KEY = os.environ.get("BLIND_INDEX_KEY", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "treebeard",
    "jiceng.core",
    "jiceng.geo",
    "jiceng.orgs",
    "jiceng.accounts",
    "jiceng.members",
    "jiceng.imports",
    "jiceng.planning",
    "jiceng.campaigns",
    "jiceng.surveys",
    "jiceng.development",
    "jiceng.study",
    "jiceng.outreach",
    "jiceng.outreach.pairings",
    "jiceng.outreach.programmes",
    "jiceng.outreach.projects",
    "jiceng.satisfaction",
    "jiceng.petitions",
    "jiceng.rectification",
    "jiceng.workers",
    "jiceng.appraisal",
    "jiceng.reports",
    "jiceng.scenario",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Reads of safe requests from the replica, if there is one (core.dbrouter).
    "jiceng.core.dbrouter.ReplicaRoutingMiddleware",
    # Static files served by the WSGI process itself (compressed, cached for ever under
    # hashed names in production), so no web-server configuration is needed for them.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "jiceng.core.audit.AuditContextMiddleware",
    "jiceng.accounts.second_factor.middleware.SecondFactorMiddleware",
    "jiceng.core.middleware.TraditionalChineseMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "jiceng.core.context_processors.permitted",
            ],
            "builtins": ["jiceng.core.templatetags.jiceng"],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'jiceng.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
    )
}
# Session settings of every PostgreSQL connection. Short OLTP queries: JIT compilation costs
# more (≈18 ms) than it saves here. Storage is SSD (or the data is cached): a random page read
# costs about what a sequential one does, and PostgreSQL's default random_page_cost of 4 (made
# for spinning disks) has the planner scan the whole member table (0.8 s at city scale) for a
# large district's scope instead of OR-ing two index bitmaps (0.09 s). Override with
# JICENG_PG_RANDOM_PAGE_COST where the disks are not SSD.
PG_SESSION_OPTIONS = (
    f"-c jit=off -c random_page_cost={os.environ.get('JICENG_PG_RANDOM_PAGE_COST', '1.1')}"
)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = PG_SESSION_OPTIONS
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

# A streaming replica for the reads of GET/HEAD/OPTIONS requests (docs/operations.md
# "Scale-out"). The router and its middleware do nothing without a ``replica`` database.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"],
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
    )
    DATABASES["replica"]["OPTIONS"] = {"options": PG_SESSION_OPTIONS, "connect_timeout": 2}
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["jiceng.core.dbrouter.ReplicaRouter"]
DATABASE_REPLICA_PIN_SECONDS = float(os.environ.get("DATABASE_REPLICA_PIN_SECONDS", "10"))
DATABASE_REPLICA_MAX_LAG_SECONDS = float(os.environ.get("DATABASE_REPLICA_MAX_LAG_SECONDS", "5"))
DATABASE_REPLICA_CHECK_SECONDS = float(os.environ.get("DATABASE_REPLICA_CHECK_SECONDS", "1"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # The demo password, the city's and districts' names with a year, the username (issue 14).
    {"NAME": "jiceng.accounts.passwords.GuessablePasswordValidator"},
]

# Second factor (issue 14; docs/architecture.md "Second factor"): roles that must verify a TOTP
# code after the password — every role that can reveal, manage accounts or export (the member
# list export is open to every officer role; a member exports only their own row).
OTP_REQUIRED_ROLES = [
    r
    for r in os.environ.get(
        "OTP_REQUIRED_ROLES",
        "city_admin,district_officer,committee_officer,branch_secretary,party_worker,auditor",
    ).split(",")
    if r
]
# "Remember this device": a signed cookie, bound to the user and their authenticator's key.
OTP_REMEMBER_DAYS = int(os.environ.get("OTP_REMEMBER_DAYS", "30"))
OTP_RECOVERY_CODES = 10
OTP_TOTP_ISSUER = "jiceng"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Sessions end after 30 minutes without a request and when the browser closes.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

# django-axes: five failures lock the username+address pair for 30 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.5
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("zh-hant", "繁體中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"

# Photos and files attached to records (core.attachments): outside the web root, served only
# through a view that checks the record's scope. Limits per file and per record.
ATTACHMENT_ROOT = Path(os.environ.get("JICENG_ATTACHMENT_ROOT", VAR_DIR / "attachments"))
ATTACHMENT_MAX_BYTES = int(os.environ.get("JICENG_ATTACHMENT_MAX_BYTES", str(10 << 20)))
ATTACHMENT_MAX_PER_RECORD = 9

# Addresses of the TLS-terminating proxy in front of gunicorn (docs/operations.md): a request
# from one of them is read as coming from the last address its X-Forwarded-For names that is
# not itself a proxy (jiceng.core.clients: the audit log's address, the open survey link's
# rate limit per address).
TRUSTED_PROXIES = [
    p.strip() for p in os.environ.get("TRUSTED_PROXIES", "127.0.0.1,::1").split(",") if p.strip()
]

# The cache is shared by every process of the site (the web workers and the task workers): a
# summary cached under a generation (``core.generations``) must be invalidated for all of them
# when any one writes. Django's default (a per-process memory cache) would leave the other
# gunicorn workers showing figures from before the write. The database cache needs no other
# service; its table is created by core's migration 0008.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "jiceng_cache",
        "OPTIONS": {"MAX_ENTRIES": 20000, "CULL_FREQUENCY": 4},
    }
}

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}
# A task worker renews its heartbeat row this often; a worker on another host whose last beat
# is older than the stale bound (default 4 intervals) is judged dead and its task put back
# (jiceng.core.task_recovery; docs/operations.md "Scale-out", Workers).
TASK_WORKER_HEARTBEAT_SECONDS = float(os.environ.get("TASK_WORKER_HEARTBEAT_SECONDS", "15"))
TASK_WORKER_HEARTBEAT_STALE_SECONDS = float(
    os.environ.get("TASK_WORKER_HEARTBEAT_STALE_SECONDS", str(4 * TASK_WORKER_HEARTBEAT_SECONDS))
)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "jiceng.core.api.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "jiceng.core.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": [],
    "EXCEPTION_HANDLER": "jiceng.core.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "jiceng.core.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "jiceng API",
    "DESCRIPTION": _("基层 — 党组织与党员管理接口"),
    "VERSION": "0.1.0",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The API is documented as JSON: a form field cannot carry a null.
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser"],
    # One name per choice set that several serializers share (drf-spectacular would otherwise
    # hash the names apart and warn).
    "ENUM_NAME_OVERRIDES": {
        "BranchKindEnum": "jiceng.orgs.models.BranchKind",
        "DevelopmentStageEnum": "jiceng.development.rules.DevelopmentStage",
        "DevelopmentStateEnum": "jiceng.development.rules.DevelopmentState",
        "WorkerApplicationStateEnum": "jiceng.workers.rules.AppState",
        "WorkerEducationEnum": "jiceng.workers.rules.EducationLevel",
        "MemberEducationEnum": "jiceng.members.models.Education",
        "RectificationStateEnum": "jiceng.orgs.models.RectificationState",
        "TransferKindEnum": "jiceng.members.transfers.rules.TransferKind",
        "TransferStateEnum": "jiceng.members.transfers.rules.TransferState",
        "LostContactStateEnum": "jiceng.members.lost_contact.rules.CaseState",
        "PlanKindEnum": "jiceng.planning.rules.PlanKind",
        "PlanStateEnum": "jiceng.planning.rules.PlanState",
        "CampaignUnitStateEnum": "jiceng.campaigns.progress.rules.UnitState",
        "FourOnesKindEnum": "jiceng.campaigns.practices.rules.FourOnes",
        "AppraisalStateEnum": "jiceng.surveys.rules.AppraisalState",
        "DatePrecisionEnum": "jiceng.members.models.DatePrecision",
        "VisitKindEnum": "jiceng.outreach.visits.rules.VisitKind",
        "ProjectStateEnum": "jiceng.outreach.projects.rules.ProjectState",
        "BeneficiaryKindEnum": "jiceng.outreach.projects.rules.BeneficiaryKind",
        "ProjectRoleEnum": "jiceng.outreach.projects.rules.ProjectRole",
        "VisitStateEnum": "jiceng.outreach.visits.rules.VisitState",
        "NeedKindEnum": "jiceng.outreach.visits.rules.NeedKind",
        "NeedStateEnum": "jiceng.outreach.visits.rules.NeedState",
        "NeedyStatusEnum": "jiceng.outreach.registry.rules.NeedyStatus",
        "PairingStateEnum": "jiceng.outreach.pairings.rules.PairingState",
        "PairingSourceEnum": "jiceng.outreach.pairings.rules.PairingSource",
        "PartnerKindEnum": "jiceng.outreach.pairings.rules.PartnerKind",
        "ProgrammeStateEnum": "jiceng.outreach.programmes.rules.ProgrammeState",
        "ServiceCardStateEnum": "jiceng.outreach.programmes.rules.CardState",
        "ServiceTaskStateEnum": "jiceng.outreach.programmes.rules.TaskState",
        "PetitionStateEnum": "jiceng.petitions.rules.State",
        "PetitionChannelEnum": "jiceng.petitions.rules.Channel",
        "PetitionCategoryEnum": "jiceng.petitions.rules.Category",
        "PetitionBodyEnum": "jiceng.petitions.rules.Body",
        "PetitionVersionEnum": "jiceng.petitions.rules.Version",
        "SatisfactionSurveyStateEnum": "jiceng.satisfaction.rules.SurveyState",
        "SatisfactionQuestionKindEnum": "jiceng.satisfaction.rules.QuestionKind",
        "SearchChannelEnum": "jiceng.members.lost_contact.rules.SearchChannel",
        "MemberCategoryEnum": "jiceng.members.models.MemberCategory",
        "RectificationItemStateEnum": "jiceng.rectification.rules.ItemState",
        "RectificationVerdictEnum": "jiceng.rectification.rules.Verdict",
        "RectificationSourceKindEnum": "jiceng.rectification.rules.SourceKind",
        "SummaryReportStateEnum": "jiceng.reports.models.ReportState",
    },
}

# Content Security Policy: everything is vendored, so only our own origin is needed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Uploaded import files, kept until their job is finished (then removed).
IMPORT_ROOT = Path(os.environ.get("JICENG_IMPORT_ROOT", VAR_DIR / "imports"))
# Rows written per all-or-nothing transaction of an import.
IMPORT_BATCH_SIZE = int(os.environ.get("JICENG_IMPORT_BATCH_SIZE", "5000"))
# Processes that check a large import's rows (0: one per core); files smaller than
# IMPORT_PARALLEL_MIN_BYTES are checked in the worker itself.
IMPORT_WORKERS = int(os.environ.get("JICENG_IMPORT_WORKERS", "0"))
IMPORT_PARALLEL_MIN_BYTES = int(os.environ.get("JICENG_IMPORT_PARALLEL_MIN_BYTES", str(4 << 20)))
# Large exports (issue 17 item 8): written by a background task into private files outside
# the web root, downloaded by their creator only, removed after EXPORT_KEEP_DAYS
# (`manage.py purge_exports`). Exports of EXPORT_JOB_THRESHOLD rows or more run as a job; smaller
# ones stream within the request. The job's progress is saved every EXPORT_PROGRESS_ROWS rows.
EXPORT_ROOT = Path(os.environ.get("JICENG_EXPORT_ROOT", VAR_DIR / "exports"))
EXPORT_JOB_THRESHOLD = int(os.environ.get("JICENG_EXPORT_JOB_THRESHOLD", "20000"))
EXPORT_KEEP_DAYS = int(os.environ.get("JICENG_EXPORT_KEEP_DAYS", "7"))
EXPORT_PROGRESS_ROWS = int(os.environ.get("JICENG_EXPORT_PROGRESS_ROWS", "5000"))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Audit at scale (issue 18 item 5; PostgreSQL): core_auditevent is partitioned by month.
# `manage.py audit_partitions` (daily) creates the next AUDIT_PARTITIONS_AHEAD months and, with
# --retention, exports months older than AUDIT_RETENTION_DAYS (at least 183) as gzip JSONL into
# AUDIT_ARCHIVE_DIR and drops a month's partition only once its export is verified.
AUDIT_RETENTION_DAYS = int(os.environ.get("JICENG_AUDIT_RETENTION_DAYS", "1095"))
AUDIT_ARCHIVE_DIR = Path(os.environ.get("JICENG_AUDIT_ARCHIVE_DIR", VAR_DIR / "audit-archive"))
AUDIT_PARTITIONS_AHEAD = int(os.environ.get("JICENG_AUDIT_PARTITIONS_AHEAD", "3"))
# Public survey answers by token (issue 21) may be committed asynchronously on PostgreSQL (their
# own transaction only) with JICENG_SATISFACTION_ASYNC_COMMIT=1: more answers a second, but a
# database crash may lose the last ≤0.6 s of answers, each with its token's spending, so the
# token can answer again (jiceng/satisfaction/services.py). Off by default: nothing is lost.
SATISFACTION_ASYNC_COMMIT = os.environ.get("JICENG_SATISFACTION_ASYNC_COMMIT", "0") == "1"
