"""A Hypothesis state machine over the session life cycle of one account: log in, refresh,
present the rotated refresh token again within the grace window, log out, log out
everywhere, change the password. Invariant: the access token of a live session is accepted,
and every token of an ended session (access or refresh) is refused."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.conftest import KIND
from tests.helpers import PASSWORD, SAME_SITE, Api, User, assert_problem, refresh_cookie
from tests.reliability import figures
from tests.reliability.support import OnLoop
from tests.reliability.test_task_lifecycle import profile

AUTH = "/api/v1/auth"
ME = "/api/v1/users/me"
#: Reuse of a rotated token is tried only this soon after the rotation: the grace window
#: (refresh_reuse_grace_seconds, 10 s by default) is not a figure this test measures.
GRACE_MARGIN = 3.0


@dataclass
class Session:
    access: str
    refresh: str
    alive: bool = True
    previous: str | None = None
    rotated_at: float = 0.0
    old_access: tuple[str, ...] = ()


class SessionLifecycle(RuleBasedStateMachine):
    on_loop: ClassVar[OnLoop]
    api: ClassVar[Api]
    requests: ClassVar[int] = 0

    def __init__(self) -> None:
        super().__init__()
        self.password = PASSWORD
        user: User = self.run(self.api.user())
        self.email = user.email
        self.sessions: list[Session] = [Session(user.access_token, user.refresh_token)]

    def run(self, awaitable: Any) -> Any:
        type(self).requests += 1
        return self.on_loop(awaitable)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        response: httpx.Response = self.run(self.api.client.post(path, **kwargs))
        return response

    def me(self, access: str) -> httpx.Response:
        response: httpx.Response = self.run(
            self.api.client.get(ME, headers={"Authorization": f"Bearer {access}"})
        )
        return response

    def refresh_with(self, token: str) -> httpx.Response:
        return self.post(
            f"{AUTH}/refresh", headers={**SAME_SITE, "Cookie": f"tasklane_refresh={token}"}
        )

    def live(self) -> list[Session]:
        return [s for s in self.sessions if s.alive]

    # -- rules ---------------------------------------------------------------------------
    @precondition(lambda self: len(self.sessions) < 6)
    @rule()
    def login(self) -> None:
        response = self.post(f"{AUTH}/login", json={"email": self.email, "password": self.password})
        assert response.status_code == 200, response.text
        token = refresh_cookie(response)
        assert token
        self.sessions.append(Session(response.json()["access_token"], token))

    @rule(data=st.data())
    def refresh(self, data: st.DataObject) -> None:
        session = data.draw(st.sampled_from(self.sessions))
        response = self.refresh_with(session.refresh)
        if not session.alive:
            assert_problem(response, 401, "unauthorized")
            return
        assert response.status_code == 200, response.text
        successor = refresh_cookie(response)
        assert successor
        assert successor != session.refresh
        session.old_access += (session.access,)
        session.previous, session.refresh = session.refresh, successor
        session.access = response.json()["access_token"]
        session.rotated_at = time.monotonic()

    @precondition(
        lambda self: any(
            s.alive and s.previous and time.monotonic() - s.rotated_at < GRACE_MARGIN
            for s in self.sessions
        )
    )
    @rule(data=st.data())
    def reuse_within_grace(self, data: st.DataObject) -> None:
        candidates = [
            s
            for s in self.sessions
            if s.alive and s.previous and time.monotonic() - s.rotated_at < GRACE_MARGIN
        ]
        session = data.draw(st.sampled_from(candidates))
        assert session.previous
        response = self.refresh_with(session.previous)
        assert response.status_code == 200, response.text
        # Another tab of the same session: the same successor, the session lives on.
        assert refresh_cookie(response) == session.refresh
        session.old_access += (response.json()["access_token"],)

    @rule(data=st.data())
    def logout(self, data: st.DataObject) -> None:
        session = data.draw(st.sampled_from(self.sessions))
        response = self.post(
            f"{AUTH}/logout", headers={**SAME_SITE, "Cookie": f"tasklane_refresh={session.refresh}"}
        )
        assert response.status_code == 204, response.text
        session.alive = False

    @precondition(lambda self: self.live())
    @rule(data=st.data())
    def logout_all(self, data: st.DataObject) -> None:
        session = data.draw(st.sampled_from(self.live()))
        response = self.post(
            f"{AUTH}/logout-all",
            headers={**SAME_SITE, "Authorization": f"Bearer {session.access}"},
        )
        assert response.status_code == 204, response.text
        for each in self.sessions:
            each.alive = False

    @precondition(lambda self: self.live())
    @rule(data=st.data())
    def change_password(self, data: st.DataObject) -> None:
        session = data.draw(st.sampled_from(self.live()))
        new = f"{PASSWORD} {len(self.sessions)}x"
        response = self.post(
            f"{ME}/password",
            headers={"Authorization": f"Bearer {session.access}"},
            json={"current_password": self.password, "new_password": new},
        )
        assert response.status_code == 204, response.text
        self.password = new
        for each in self.sessions:
            if each is not session:
                each.alive = False

    @rule()
    def the_old_password_is_refused(self) -> None:
        response = self.post(
            f"{AUTH}/login", json={"email": self.email, "password": self.password + "!"}
        )
        assert_problem(response, 401, "invalid-credentials")

    # -- invariants ----------------------------------------------------------------------
    @invariant()
    def live_tokens_work_and_ended_ones_are_refused(self) -> None:
        for session in self.sessions:
            for access in (session.access, *session.old_access):
                response = self.me(access)
                if session.alive:
                    assert response.status_code == 200, response.text
                else:
                    assert_problem(response, 401, "unauthorized")
            if not session.alive:
                assert_problem(self.refresh_with(session.refresh), 401, "unauthorized")


async def test_session_life_cycle_state_machine(api: Api) -> None:
    SessionLifecycle.on_loop = OnLoop(asyncio.get_running_loop())
    SessionLifecycle.api = api
    SessionLifecycle.requests = 0
    config = profile(4, 50, steps=(12, 40))
    await asyncio.to_thread(run_state_machine_as_test, SessionLifecycle, settings=config)
    figures.record(
        f"session-state-machine-{KIND}",
        {"machines": config.max_examples, "requests": SessionLifecycle.requests, "failures": 0},
    )
