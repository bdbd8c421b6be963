"""What a chat server process builds once, before it takes its first socket."""

from guard.refusals import refuse_secrets


def chat_server_warm() -> None:
    """Build the guard's word lists now (about 200 ms of Python), not in the first visitor
    message's scan on the event loop: every socket of the process waited behind that scan, and
    the first seconds of a busy server's p99 were hundreds of milliseconds (docs/benchmarks.md).
    Built before the start-up objects are frozen out of garbage collection, the lists' tens of
    thousands of objects are never traversed by a full collection either."""
    refuse_secrets({"body": "warm-up"}, previous=())
