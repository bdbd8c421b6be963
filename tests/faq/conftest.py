import pytest

from faq.services import help_centre_load


@pytest.fixture
def help_centre(db):
    """The shipped help centre, loaded as `make run` loads it."""
    return help_centre_load()
