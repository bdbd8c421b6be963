"""What event webhooks add to the desk's busiest write: an agent's chat message, PostgreSQL and
the real Redis broker, in one process.

    DATABASE_URL=postgres://.../ws_bench REDIS_URL=redis://.../3 \\
        .venv/bin/python -m bench.webhooks_bench [--messages 400] [--rounds 3]

Rounds alternate: no subscription (the baseline, measured in the same run) and one subscription
to `ticket.agent_replied` (one delivery row inserted in the message's transaction and one task
sent to Redis after commit; no worker runs, the queue is purged at the end). Printed: the median
and p95 of `livechat.services.chat_message_post`, and the machine's load.
"""

import argparse
import os
import statistics
import time
from uuid import uuid4

from bench.faq_bench import machine
from bench.server import bench_environment, ensure_database, manage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    env = bench_environment()
    ensure_database(env)
    manage(env, "migrate", "--noinput", "-v0")
    os.environ.update(env)

    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from agents.models import AgentProfile, Team, TeamMembership
    from livechat import services
    from livechat.models import Conversation
    from tickets.services import ticket_create
    from wallet_support.celery import app as celery_app
    from webhooks.models import Delivery, Subscription
    from webhooks.selectors import subscriptions_forget

    Subscription.objects.all().delete()
    subscriptions_forget()
    user, _ = get_user_model().objects.get_or_create(
        username="bench-hooks-agent", defaults={"is_staff": True}
    )
    AgentProfile.objects.get_or_create(user=user, defaults={"display_name": "Bench"})
    TeamMembership.objects.get_or_create(team=Team.objects.get(code="transactions"), user=user)
    ticket = ticket_create(
        problem_type="abnormal_transaction",
        channel="chat",
        subject="bench",
        description="bench chat",
        customer_email="bench@example.com",
    )
    conversation = Conversation.objects.create(
        ticket=ticket,
        visitor_key="bench",
        visitor_name="Bench",
        problem_type="abnormal_transaction",
    )
    Conversation.objects.filter(pk=conversation.pk).update(
        agent=user, status=Conversation.Status.ACTIVE
    )
    conversation = Conversation.objects.select_related("ticket").get(pk=conversation.pk)

    def run() -> list[float]:
        times = []
        for number in range(args.messages):
            started = time.perf_counter()
            services.chat_message_post(
                conversation=conversation,
                sender="agent",
                body=f"bench message {number}",
                client_id=uuid4(),
                author=user,
            )
            times.append((time.perf_counter() - started) * 1000)
        return times

    results: dict[str, list[float]] = {"no subscription": [], "one subscription": []}
    run()
    deliveries = 0
    for _round in range(args.rounds):
        deliveries += Delivery.objects.count()
        Subscription.objects.all().delete()
        subscriptions_forget()
        results["no subscription"] += run()
        Subscription.objects.create(
            name="bench",
            url="https://hooks.bench.example/",
            secret="s" * 32,
            events=["ticket.agent_replied"],
        )
        subscriptions_forget()
        results["one subscription"] += run()
    deliveries += Delivery.objects.count()
    Subscription.objects.all().delete()
    subscriptions_forget()
    celery_app.control.purge()

    print(machine(), "| load average", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    for label, times in results.items():
        times.sort()
        p95 = times[int(len(times) * 0.95) - 1]
        median = statistics.median(times)
        print(f"{label:17} n={len(times):5}  median {median:.2f} ms  p95 {p95:.2f} ms")
    print(f"deliveries recorded: {deliveries}")


if __name__ == "__main__":
    main()
