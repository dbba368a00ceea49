"""The demo scenario `loadpulse demo` runs: copy it as a starting point for your own.

    loadpulse target demo --port 8000 --db messages.db &
    loadpulse run demo_scenario.py --base-url http://127.0.0.1:8000 --preset quick \\
        --sink 'sql:sqlite:///messages.db#SELECT id, stored_at AS at, worker, status FROM messages
                WHERE stored_at >= :since'

Each iteration of a virtual user runs one task, picked by weight: half health checks, 40 % writes of a
message, 10 % reads of a message this VU wrote (seed 004's ingest shape). Every accepted message is tracked
by the id the target gave it: the sink (the target's SQLite table) says whether it was stored, once, by
which worker and when, which gives the pipeline verdict (lost, duplicates, end-to-end latency, fairness).
Checks, a custom counter and a custom trend show up in the summary beside the per-request latencies.
"""

from __future__ import annotations

from loadpulse import Ctx, SetupCtx, task

# For scenarios without an entry of their own; --profile/--preset and --vus/--duration/... override it.
profile = {"profile": "constant-vus", "vus": 20, "duration": "10s"}


async def setup(ctx: SetupCtx) -> dict[str, int]:
    """Runs once before the load (its requests are not measured); the result is ctx.data in every VU."""
    r = await ctx.http.get("/health")
    if r.status != 200:
        raise RuntimeError(f"the target is not healthy: GET /health answered {r.status}")
    return {"stored_before": r.json()["stored"]}


@task(weight=50)
async def health(ctx: Ctx) -> None:
    r = await ctx.http.get("/health", name="health")
    if ctx.check(r.status == 200, "health is 200"):
        ctx.trend("queue_length", r.json()["queue_length"])


@task(weight=40)
async def create_message(ctx: Ctx) -> None:
    body = {
        "user_id": ctx.vu.id,
        "channel_id": 7,
        "content": f"hello #{ctx.vu.iteration} from VU {ctx.vu.id}",
    }
    r = await ctx.http.post("/api/messages", json=body, name="create message")
    if ctx.check(r.status == 202, "create is accepted (202)"):
        message_id = r.json()["id"]
        ctx.track(message_id, since=r)  # sent now; the pipeline check looks for it in the sink
        ctx.vu.state["last_id"] = message_id
        ctx.counter("messages_sent")


@task(weight=10)
async def read_message(ctx: Ctx) -> None:
    msg_id = ctx.vu.state.get("last_id", 1)
    r = await ctx.http.get(f"/api/messages/{msg_id}", name="read message")
    # 200 once accepted (queued or stored); 404 for a message that does not exist (yet, or any more).
    ctx.check(r.status in (200, 404), "read answers 200 or 404")
