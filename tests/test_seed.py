"""``tasklane seed`` loads consistent, usable data."""

from __future__ import annotations

from sqlalchemy import func, select

from tasklane.core.context import AppContext
from tasklane.seed import SEED_PASSWORD, seed
from tasklane.settings import Settings
from tasklane.tasks.models import task_tags, tasks
from tasklane.users.models import users
from tests.helpers import Api


async def test_seed_loads_users_and_tasks_that_work_through_the_api(
    settings: Settings, ctx: AppContext, api: Api
) -> None:
    result = await seed(settings, users_count=3, tasks_per_user=40, batch_size=25, progress=False)
    assert result.users == 3
    assert result.tasks == 120
    async with ctx.db.reader() as conn:
        seeded = (
            await conn.execute(
                select(users.c.id, users.c.email).where(users.c.name.like("Seeded user %"))
            )
        ).all()
        seeded = seeded[-3:]
        per_user = dict(
            (
                await conn.execute(
                    select(tasks.c.user_id, func.count())
                    .where(tasks.c.user_id.in_([u.id for u in seeded]))
                    .group_by(tasks.c.user_id)
                )
            ).all()
        )
        # Tags are written to both places consistently.
        tag_rows = (
            await conn.execute(
                select(func.count())
                .select_from(task_tags)
                .where(task_tags.c.user_id.in_([u.id for u in seeded]))
            )
        ).scalar_one()
    assert sum(per_user.values()) == 120
    # A seeded account logs in with the documented password and sees its own tasks, in order.
    email = seeded[0].email
    login = await api.login(email, SEED_PASSWORD)
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    listed = await api.client.get("/api/v1/tasks", params={"limit": 100}, headers=headers)
    assert listed.status_code == 200
    items = listed.json()["items"]
    assert len(items) == per_user[seeded[0].id]
    assert [t["created_at"] for t in items] == sorted(
        (t["created_at"] for t in items), reverse=True
    )
    assert sum(len(t["tags"]) for t in items) <= tag_rows
    stats = (await api.client.get("/api/v1/tasks/stats", headers=headers)).json()
    assert stats["total"] == len(items)
    assert {t["status"] for t in items} <= {"todo", "in_progress", "done"}
    assert all(t["completed_at"] for t in items if t["status"] == "done")
