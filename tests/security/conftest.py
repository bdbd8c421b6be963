"""Helpers of the attack tests: a stored-script payload, the check that it is shown escaped,
rate limits out of the way, and row counts for "nothing was saved"."""

import pytest
from django.core.cache import cache


@pytest.fixture
def no_rate_limits(settings):
    """These tests post many times from one client: the limits (tested elsewhere) stay out of
    the way, and no count leaks into the next test."""
    settings.RATE_LIMITS_ENABLED = False
    cache.clear()
    yield
    cache.clear()
