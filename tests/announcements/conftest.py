import pytest

from announcements.selectors import announcement_cache_clear


@pytest.fixture(autouse=True)
def _fresh_announcement_cache(_isolated_services):
    """The cache outlives each test's rolled-back rows: start and leave it empty."""
    announcement_cache_clear()
    yield
    announcement_cache_clear()
