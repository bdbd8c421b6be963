"""The production servers' command lines (their behaviour: tests/livechat/test_two_servers.py,
tests/deploy/test_compose.py)."""

import pytest

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


def test_the_pages_server_is_gunicorn_with_threads_and_no_access_log():
    arguments = serve.http_command()
    assert arguments[1:4] == ["-m", "gunicorn", serve.WSGI_APPLICATION]
    assert option(arguments, "--worker-class") == "gthread"
    assert int(option(arguments, "--threads")) >= 2
    # A request line carries the query string, a customer's typed words.
    assert "--access-logfile" not in arguments
    assert option(serve.http_command(workers=3), "--workers") == "3"
    assert option(serve.http_command(), "--workers") is None


def test_the_pages_server_keeps_connections_unless_told_otherwise():
    assert serve.http_environment({})["DATABASE_CONN_MAX_AGE"] == str(serve.HTTP_CONN_MAX_AGE)
    assert serve.http_environment({"DATABASE_CONN_MAX_AGE": "0"})["DATABASE_CONN_MAX_AGE"] == "0"


@pytest.mark.parametrize(
    ("argv", "server"), [([], "gunicorn"), (["http"], "gunicorn"), (["sockets"], "uvicorn")]
)
def test_main_runs_the_server_of_its_role(monkeypatch, tmp_path, argv, server):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_CONN_MAX_AGE", raising=False)
    ran = {}
    monkeypatch.setattr(
        serve.os, "execve", lambda path, arguments, env: ran.update(args=arguments, env=env)
    )

    serve.main(argv)

    assert ran["args"][2] == server
    kept = ran["env"].get("DATABASE_CONN_MAX_AGE")
    assert kept == (str(serve.HTTP_CONN_MAX_AGE) if server == "gunicorn" else None)


def test_main_refuses_an_unknown_role():
    with pytest.raises(SystemExit, match="usage"):
        serve.main(["websockets"])


def test_each_role_keeps_its_counters_in_a_folder_of_its_own(monkeypatch, tmp_path):
    """Both servers start at once on one host: the pages server emptying its folder must not
    remove the sockets server's live counters, nor fail on a file the other just removed."""
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    sockets = serve.metrics_directory("sockets")
    live = sockets / "counter_1.db"
    live.write_bytes(b"live")

    pages = serve.metrics_directory("http")

    assert pages != sockets
    assert live.exists()
    (pages / "counter_2.db").write_bytes(b"old")
    monkeypatch.setattr(type(pages), "glob", lambda self, pattern: [self / "gone.db"])
    assert serve.metrics_directory("http") == pages  # a file removed meanwhile is no error
