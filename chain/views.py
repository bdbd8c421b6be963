import json

from django.core.exceptions import ValidationError
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chain import selectors, services
from chain.error_codes import ChainErrorCode
from chain.providers import ProviderUnavailable
from security.ratelimit import client_address, rate_limit_hit, rate_limited_json
from tickets.validators import validate_transaction_hash

MAX_BODY_BYTES = 4096
POLL_SECONDS = 2
FIRST_POLL_SECONDS = 1


def _requester(request: HttpRequest) -> str:
    """Who asks: the visitor's session, else their address (masked as the rate limits do)."""
    session = getattr(request, "session", None)
    key = session.session_key if session is not None else None
    if key:
        return f"session:{key}"
    return f"address:{client_address(request.META.get('REMOTE_ADDR')) or ''}"


def _error(code: ChainErrorCode, message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": {"code": str(code), "message": message}}, status=status)


@require_POST
def status(request: HttpRequest) -> JsonResponse:
    """The contact form's check of a hash before it is sent: queues one lookup and answers from
    the cache. Posted as JSON, never in the address, which access logs keep."""
    if limited := rate_limit_hit(request, "chain_status"):
        return rate_limited_json(limited)
    try:
        body = json.loads(request.body[:MAX_BODY_BYTES] or b"{}")
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict) or not all(
        isinstance(body.get(name, ""), str) for name in ("network", "hash")
    ):
        return _error(ChainErrorCode.INVALID_REQUEST, _("Send a network and a hash."), 400)
    network = body.get("network", "")
    if not services.chain_enabled(network=network):
        return _error(
            ChainErrorCode.OFF, _("The desk does not check this network on the chain."), 404
        )
    try:
        tx_hash = validate_transaction_hash(body.get("hash", ""), network)
    except ValidationError as error:
        return _error(ChainErrorCode.INVALID_HASH, error.messages[0], 400)
    first = services.first_ask(requester=_requester(request), network=network, tx_hash=tx_hash)
    observation = services.observation_cached(network=network, tx_hash=tx_hash)
    unavailable = services.provider_resting(network=network)
    if observation is None and not unavailable:
        try:
            services.lookup_queue(network=network, tx_hash=tx_hash)
        except ProviderUnavailable:  # the form's lookups for this minute are spent
            unavailable = True
        # The embedded default runs the task at once; a worker answers a poll later.
        observation = services.observation_cached(network=network, tx_hash=tx_hash)
        unavailable = unavailable or services.provider_resting(network=network)
    # A first ask gets the same answer whether the cache held the hash or not (first_ask).
    if observation is not None and not first:
        answer = selectors.observation_status(observation).as_json()
    elif unavailable:
        answer = selectors.customer_status(state=selectors.UNAVAILABLE).as_json()
        answer["retry_after"] = POLL_SECONDS * 5
    else:
        answer = selectors.customer_status(state=selectors.CHECKING).as_json()
        answer["retry_after"] = FIRST_POLL_SECONDS if first else POLL_SECONDS
    return JsonResponse(answer)
