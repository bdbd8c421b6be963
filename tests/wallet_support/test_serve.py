"""The production server's command line (its behaviour: tests/livechat/test_two_servers.py)."""

from livechat.limits import MAX_FRAME_BYTES, SERVER_MAX_FRAME_BYTES
from wallet_support import serve


def option(arguments: list[str], name: str) -> str | None:
    return arguments[arguments.index(name) + 1] if name in arguments else None


def test_the_server_limit_leaves_room_for_the_consumers_friendlier_refusal():
    arguments = serve.command()
    assert int(option(arguments, "--ws-max-size")) == SERVER_MAX_FRAME_BYTES
    # Frames between the two limits get an error event and keep their socket.
    assert SERVER_MAX_FRAME_BYTES > MAX_FRAME_BYTES


def test_process_count_comes_from_web_concurrency_unless_given():
    assert option(serve.command(), "--workers") is None
    assert option(serve.command(workers=3), "--workers") == "3"
    assert "--proxy-headers" in serve.command()
