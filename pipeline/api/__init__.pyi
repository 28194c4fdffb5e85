"""The names other stages may use; the package loads each on first use."""

from .client import ApiClient as ApiClient
from .client import Verdict as Verdict
from .client import classify as classify
from .concurrency import DEFAULT_BLIND_LIMIT as DEFAULT_BLIND_LIMIT
from .concurrency import DEFAULT_MAX_CONCURRENCY as DEFAULT_MAX_CONCURRENCY
from .endpoints import collection_url as collection_url
from .endpoints import record_id as record_id
from .endpoints import record_url as record_url
from .error_bodies import parse_error_body as parse_error_body
from .plan_time import available_tokens as available_tokens
from .plan_time import estimate_seconds as estimate_seconds
from .ratelimit import RateState as RateState
from .settings import ENV_AGREEMENT_GRANT as ENV_AGREEMENT_GRANT
from .settings import ENV_APP_SECRET as ENV_APP_SECRET
from .settings import ENV_BASE_URL as ENV_BASE_URL
from .settings import ApiSettings as ApiSettings
from .settings import settings_from_env as settings_from_env
from .timeline import TIMELINE_COLUMNS as TIMELINE_COLUMNS
from .timeline import Timeline as Timeline
from .timeline import TimelineRow as TimelineRow
