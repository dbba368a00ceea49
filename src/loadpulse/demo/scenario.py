"""The demo scenario `loadpulse demo` runs: copy it as a starting point for your own.

    loadpulse run demo_scenario.py --base-url http://127.0.0.1:8000 --preset quick

Each iteration of a virtual user runs one task, picked by weight: half health checks, 40 % writes of a
message, 10 % reads of a message this VU wrote (seed 004's ingest shape). Checks, a custom counter and a
custom trend show up in the summary beside the per-request latencies.
"""

from __future__ import annotations

from loadpulse import Ctx, SetupCtx, task

# For scenarios without an entry of their own; --profile/--preset and --vus/--duration/... override it.
profile = {"profile": "constant-vus", "vus": 20, "duration": "10s"}


async def setup(ctx: SetupCtx) -> dict[str, int]:
    """Runs once before the load (its requests are not measured); the result is ctx.data in every VU."""
    r = await ctx.http.post("/api/messages", json={"user_id": 0, "channel_id": 7, "content": "first"})
    return {"first_id": int(r.json()["id"])}


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
        ctx.vu.state["last_id"] = r.json()["id"]
        ctx.counter("messages_sent")


@task(weight=10)
async def read_message(ctx: Ctx) -> None:
    msg_id = ctx.vu.state.get("last_id", ctx.data["first_id"])
    r = await ctx.http.get(f"/api/messages/{msg_id}", name="read message")
    # A message is readable once the batch writer stored it; until then the target answers 404.
    ctx.check(r.status in (200, 404), "read answers 200 or 404")
