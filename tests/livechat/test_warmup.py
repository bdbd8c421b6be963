import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def test_chat_server_builds_the_guard_word_lists_before_its_first_socket():
    # given a fresh process, as the server starts one; when it imports the ASGI application
    probe = (
        "import wallet_support.asgi; from guard.detect import _lexicon; "
        "print(_lexicon.cache_info().currsize)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "wallet_support.settings"}
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    # then the first visitor message's scan does not build them on the event loop
    assert result.stdout.split()[-1] == "1"
