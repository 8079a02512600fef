"""New-device login notices: a device cookie (or, without it, the user agent on a network)
makes a device known; a login from an unknown one mails the owner once, with a link that ends
that session; an account's first device is quiet, and a day's notices are capped."""

from __future__ import annotations

from http.cookies import SimpleCookie

import httpx

from tests.helpers import PASSWORD, Api, User, assert_problem, refresh_cookie
from tests.mail_support import BASE, Mailing, link_token, mailing, sink, text_of

__all__ = ["mailing", "sink"]  # fixtures

LOGIN = "/api/v1/auth/login"
END = "/api/v1/auth/sessions/end"
ME = "/api/v1/users/me"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"


def _device(response: httpx.Response) -> SimpleCookie:
    for header in response.headers.get_list("set-cookie"):
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        if "tasklane_device" in cookie:
            return cookie
    raise AssertionError("no device cookie")


async def _login(
    client: httpx.AsyncClient, user: User, agent: str, device: str | None = None
) -> httpx.Response:
    headers = {"User-Agent": agent}
    if device:
        headers["Cookie"] = f"tasklane_device={device}"
    response = await client.post(
        LOGIN, json={"email": user.email, "password": PASSWORD}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response


async def _notices(mailing: Mailing, user: User) -> list[str]:
    await mailing.turns()
    notices = [
        m
        for m in mailing.take()
        if m["To"] == user.email and m["Subject"] == "New sign-in to your Tasklane account"
    ]
    assert all("List-Unsubscribe" not in m for m in notices)  # security mail
    return [text_of(m) for m in notices]


async def test_a_new_device_is_told_once_and_a_known_one_never(mailing: Mailing) -> None:
    client = mailing.client("192.0.2.10")
    api = Api(client)
    user = await api.user()  # the account's first device: quiet
    assert await _notices(mailing, user) == []

    first = await _login(client, user, FIREFOX)
    cookie = _device(first)["tasklane_device"]
    assert cookie["httponly"]
    assert cookie["secure"]
    assert cookie["samesite"].lower() == "strict"
    assert cookie["path"] == "/api/v1/auth"
    (notice,) = await _notices(mailing, user)
    assert FIREFOX in notice
    assert "192.0.2.0/24" in notice

    # The same browser again: by its cookie, or without it from its network; the same
    # cookie on another network is the same device too.
    await _login(client, user, FIREFOX, device=cookie.value)
    await _login(client, user, FIREFOX)
    await _login(mailing.client("198.51.100.7"), user, FIREFOX, device=cookie.value)
    assert await _notices(mailing, user) == []
    # Without its cookie on another network, it is new.
    await _login(mailing.client("198.51.100.7"), user, FIREFOX)
    assert len(await _notices(mailing, user)) == 1


async def test_the_notice_link_ends_that_session_once(mailing: Mailing) -> None:
    client = mailing.client("192.0.2.20")
    api = Api(client)
    user = await api.user()
    stranger = await _login(mailing.client("203.0.113.5"), user, "curl/8.0")
    (notice,) = await _notices(mailing, user)
    stranger_access = {"Authorization": f"Bearer {stranger.json()['access_token']}"}
    stranger_refresh = refresh_cookie(stranger)
    assert stranger_refresh
    assert (await client.get(ME, headers=stranger_access)).status_code == 200

    token = link_token_of(notice)
    assert (await client.post(END, json={"token": token})).status_code == 204
    assert_problem(await client.get(ME, headers=stranger_access), 401)
    assert (await api.refresh(stranger_refresh)).status_code == 401
    # The owner's own session goes on; the link works once.
    assert (await client.get(ME, headers=user.headers)).status_code == 200
    assert_problem(await client.post(END, json={"token": token}), 422)
    # The device was forgotten: its next login is new again.
    await _login(mailing.client("203.0.113.5"), user, "curl/8.0")
    assert len(await _notices(mailing, user)) == 1


def link_token_of(notice: str) -> str:
    marker = f"{BASE}/end-session#token="
    start = notice.index(marker) + len(marker)
    return notice[start:].split(maxsplit=1)[0]


async def test_a_days_notices_are_capped(mailing: Mailing) -> None:
    client = mailing.client("192.0.2.30")
    api = Api(client)
    user = await api.user()
    for n in range(6):
        await _login(client, user, f"agent-{n}")
    notices = await _notices(mailing, user)
    cap = mailing.app.state.ctx.settings.login_notices_per_day
    assert len(notices) == cap < 6


RESET = "/api/v1/auth/password-reset"


async def _reset(
    mailing: Mailing, client: httpx.AsyncClient, user: User, password: str, device: str | None
) -> httpx.Response:
    """A reset asked for and finished from ``client`` (a curl, with ``device``'s cookie)."""
    headers = {"User-Agent": "curl/8.0"}
    if device:
        headers["Cookie"] = f"tasklane_device={device}"
    asked = await client.post(RESET, json={"email": user.email}, headers=headers)
    assert asked.status_code == 202
    await mailing.turns()
    (mail,) = [m for m in mailing.take() if m["Subject"] == "Reset your Tasklane password"]
    done = await client.post(
        f"{RESET}/confirm",
        json={"token": link_token(mail, "reset-password"), "new_password": password},
        headers=headers,
    )
    assert done.status_code == 200, done.text
    return done


async def test_the_sign_in_after_a_password_reset_is_checked_like_a_login(
    mailing: Mailing,
) -> None:
    """A reset signs in: from a device the account never used, the owner is told (someone
    holding the mailbox); from a known one (its cookie), nothing."""
    api = Api(mailing.client("192.0.2.40"))
    user = await api.user()  # the account's first device
    await mailing.turns()
    mailing.take()
    stranger = mailing.client("203.0.113.9")
    done = await _reset(mailing, stranger, user, "Fresh-Lantern-Orbit-92", None)
    cookie = _device(done)["tasklane_device"]
    assert cookie["httponly"]
    (notice,) = await _notices(mailing, user)
    assert "curl/8.0" in notice
    assert "203.0.113.0/24" in notice
    # The same browser again, by its cookie: a known device, no notice.
    again = await _reset(mailing, stranger, user, "Quiet-Harbour-Lamp-57", cookie.value)
    assert await _notices(mailing, user) == []
    # The notice's link ends that device's session (the one its last reset opened).
    fresh = {"Authorization": f"Bearer {again.json()['access_token']}"}
    assert (await stranger.get(ME, headers=fresh)).status_code == 200
    assert (await stranger.post(END, json={"token": link_token_of(notice)})).status_code == 204
    assert_problem(await stranger.get(ME, headers=fresh), 401)
