"""The image installs what the lock pins and runs every app from its source."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked() -> dict[str, str]:
    pins = re.findall(
        r"^([A-Za-z0-9_.\-]+)==([^\s\\]+)", (ROOT / "requirements.lock").read_text(), re.M
    )
    return {normalise(name): version for name, version in pins}


def test_the_lock_pins_every_dependency_of_pyproject_with_hashes():
    pins = locked()
    wanted = [
        normalise(re.split(r"[\[<>=!~ ;]", spec, maxsplit=1)[0])
        for spec in PYPROJECT["project"]["dependencies"]
    ]

    assert [name for name in wanted if name not in pins] == []
    assert "--hash=sha256:" in (ROOT / "requirements.lock").read_text()


def test_the_dockerfile_installs_the_lock_before_the_code_on_python_311():
    dockerfile = (ROOT / "Dockerfile").read_text()

    assert re.search(r"^FROM python:3\.11-slim$", dockerfile, re.M)
    assert PYPROJECT["project"]["requires-python"] == ">=3.11"
    lock_step = dockerfile.index("pip install --require-hashes")
    assert dockerfile.index("COPY requirements.lock") < lock_step < dockerfile.index("COPY . .")


def test_the_package_lists_every_app_of_the_tree():
    """pyproject's packages and the import contracts name every app (a folder with apps.py)."""
    apps = {path.parent.name for path in ROOT.glob("*/apps.py")} | {"wallet_support"}
    packages = {
        name.removesuffix("*")
        for name in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    contracts = set(PYPROJECT["tool"]["importlinter"]["root_packages"])

    assert apps - packages == set()
    assert apps - contracts == set()
