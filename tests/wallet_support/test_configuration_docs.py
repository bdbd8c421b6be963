"""Every environment variable the settings read is documented."""

import re
import tomllib
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
    readme = (ROOT / "docs" / "configuration.md").read_text()

    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG"} <= variables
    for name in variables:
        documented = re.search(rf"^#?\s*{name}=", env_example, re.MULTILINE)
        assert documented, f"{name} not in .env.example"
        assert f"`{name}`" in readme, f"{name} not in docs/configuration.md"


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


def test_docs_describe_every_app_of_the_tree_and_its_layer():
    """The layout in docs/development.md and docs/architecture.md is the tree: every project app (a
    folder with an apps.py) is named in both, and in the layers the import contracts check."""
    apps = sorted([path.parent.name for path in ROOT.glob("*/apps.py")] + ["wallet_support"])
    readme = (ROOT / "docs" / "development.md").read_text()
    architecture = (ROOT / "docs" / "architecture.md").read_text()
    layers = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layered = {
        name.strip() for layer in layers["contracts"][0]["layers"] for name in layer.split("|")
    }

    assert {"tickets", "agents", "guard", "mail", "common", "inbound", "privacy"} <= set(apps)
    assert [app for app in apps if f"`{app}/`" not in readme] == []
    assert [app for app in apps if f"- `{app}/`" not in architecture] == []
    assert sorted(layered) == apps
    assert sorted(layers["root_packages"]) == sorted(layered)
