"""group_send to two sockets of this process: a baseline channel_layer.py against this tree's.

    python -m bench.layer_compare --baseline OLD_channel_layer.py --redis-url redis://...

Both layers run in one process, alternating, three rounds each; the best of each is compared.
"""

import argparse
import asyncio
import importlib.util
import time
from uuid import uuid4

from common.channel_layer import LocalFirstRedisChannelLayer


def load_baseline(path: str):
    spec = importlib.util.spec_from_file_location("baseline_channel_layer", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.LocalFirstRedisChannelLayer


async def one_round(layer_class, redis_url: str, events: int) -> float:
    layer = layer_class(hosts=[redis_url], prefix=f"bench-{uuid4().hex[:6]}", capacity=10000)
    channels = [await layer.new_channel(), await layer.new_channel()]
    for channel in channels:
        await layer.group_add("bench", channel)

    async def drain(channel: str) -> None:
        for _ in range(events):
            await layer.receive(channel)

    draining = [asyncio.ensure_future(drain(channel)) for channel in channels]
    await asyncio.sleep(0.1)
    start = time.perf_counter()
    for number in range(events):
        await layer.group_send("bench", {"type": "chat.message", "n": number})
    await asyncio.gather(*draining)
    elapsed = time.perf_counter() - start
    await layer.flush()
    return elapsed


async def compare(baseline_path: str, redis_url: str, events: int) -> None:
    layers = {"baseline": load_baseline(baseline_path), "this tree": LocalFirstRedisChannelLayer}
    times: dict[str, list[float]] = {name: [] for name in layers}
    for _ in range(3):
        for name, layer_class in layers.items():
            times[name].append(await one_round(layer_class, redis_url, events))
    for name, rounds in times.items():
        best = min(rounds)
        shown = ", ".join(f"{t:.3f}" for t in rounds)
        print(f"{name}: {events / best:.0f} group_sends/s (best of {shown} s)")
    ratio = min(times["baseline"]) / min(times["this tree"])
    print(f"this tree / baseline throughput: {ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline", required=True)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--events", type=int, default=2000)
    arguments = parser.parse_args()
    asyncio.run(compare(arguments.baseline, arguments.redis_url, arguments.events))


if __name__ == "__main__":
    main()
