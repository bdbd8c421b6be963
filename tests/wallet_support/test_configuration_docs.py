"""Every environment variable the settings read is documented."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from api.error_codes import ApiErrorCode
from livechat.error_codes import ChatErrorCode

ROOT = Path(settings.BASE_DIR)


def variables_read_by_settings() -> set[str]:
    source = (ROOT / "wallet_support" / "settings.py").read_text()
    return set(re.findall(r'env_(?:str|bool|list|int)\(\s*"([A-Z_]+)"', source))


def test_settings_variables_listed_in_env_example_and_readme():
    variables = variables_read_by_settings()
    env_example = (ROOT / ".env.example").read_text()
    readme = (ROOT / "README.md").read_text()

    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG"} <= variables
    for name in variables:
        documented = re.search(rf"^#?\s*{name}=", env_example, re.MULTILINE)
        assert documented, f"{name} not in .env.example"
        assert f"`{name}`" in readme, f"{name} not in README.md"


@pytest.mark.parametrize(
    ("document", "codes"),
    [
        ("docs/api.md", ApiErrorCode),
        ("docs/chat-protocol.md", ChatErrorCode),
    ],
)
def test_docs_list_every_error_code_a_client_can_receive(document, codes):
    """A code the server sends that the client's developers cannot look up is a code they
    cannot handle."""
    text = (ROOT / document).read_text()

    assert [code.value for code in codes if f"`{code.value}`" not in text] == []
