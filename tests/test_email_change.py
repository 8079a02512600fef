"""Email change: a link to the new address, a notice to the current one, the change made only
when the link is opened; sessions kept; the same answer whether or not another account has
the new address."""

from __future__ import annotations

from tests.helpers import PASSWORD, Api, User, assert_problem, unique_email
from tests.mail_support import CONFIRM, Mailing, link_token, mailing, sink, text_of

__all__ = ["mailing", "sink"]  # fixtures

ME = "/api/v1/users/me"
CHANGE = "/api/v1/users/me/email"


async def _ask(api: Api, user: User, new_email: str, password: str = PASSWORD) -> dict[str, str]:
    response = await api.client.post(
        CHANGE, json={"new_email": new_email, "password": password}, headers=user.headers
    )
    assert response.status_code == 202, response.text
    body: dict[str, str] = response.json()
    return body


async def test_the_address_changes_only_when_the_new_one_confirms(mailing: Mailing) -> None:
    api = Api(mailing.client())
    user = await mailing.verified_user(api)
    new_email = unique_email("Moved")
    asked = await _ask(api, user, new_email)
    assert asked["new_email"] == new_email.lower()
    # Nothing has changed yet.
    me = (await api.client.get(ME, headers=user.headers)).json()
    assert me["email"] == user.email
    assert (await api.login(user.email)).status_code == 200

    await mailing.turns()
    by_address = {m["To"]: m for m in mailing.take()}
    assert set(by_address) == {new_email.lower(), user.email}
    notice = text_of(by_address[user.email])
    assert new_email.lower() in notice
    assert "#token=" not in notice  # the old address gets no link
    assert "List-Unsubscribe" not in by_address[user.email]
    token = link_token(by_address[new_email.lower()])

    confirmed = await api.client.post(CONFIRM, json={"token": token})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json() == {"email": new_email.lower(), "changed": True}
    # The session that asked is kept, and sees the new, verified address.
    me = (await api.client.get(ME, headers=user.headers)).json()
    assert me["email"] == new_email.lower()
    assert me["email_verified_at"] is not None
    assert (await api.login(new_email)).status_code == 200
    assert_problem(await api.login(user.email), 401, "invalid-credentials")
    assert (await api.register(user.email)).status_code == 201  # the old address is free
    assert_problem(await api.client.post(CONFIRM, json={"token": token}), 422)  # once


async def test_a_wrong_password_or_the_same_address_is_422_and_sends_nothing(
    mailing: Mailing,
) -> None:
    api = Api(mailing.client())
    user = await api.user()
    await mailing.turns()
    mailing.take()
    wrong = await api.client.post(
        CHANGE, json={"new_email": unique_email(), "password": "nope"}, headers=user.headers
    )
    assert [e["field"] for e in assert_problem(wrong, 422)["errors"]] == ["password"]
    same = await api.client.post(
        CHANGE, json={"new_email": user.email.upper(), "password": PASSWORD}, headers=user.headers
    )
    assert [e["field"] for e in assert_problem(same, 422)["errors"]] == ["new_email"]
    await mailing.turns()
    assert mailing.take() == []


async def test_an_address_another_account_has_answers_the_same(mailing: Mailing) -> None:
    api = Api(mailing.client())
    user = await api.user()
    other = await api.user()
    free = unique_email("free")
    await mailing.turns()
    mailing.take()
    taken_answer = await _ask(api, user, other.email.upper())
    free_answer = await _ask(api, user, free)
    assert set(taken_answer) == set(free_answer)
    assert taken_answer["detail"].replace(other.email, "X") == free_answer["detail"].replace(
        free, "X"
    )
    await mailing.turns()
    to_taken = [m for m in mailing.take() if m["To"] == other.email]
    # The owner of the taken address is told, with no link that could move anything.
    (message,) = to_taken
    assert "exists already" in text_of(message)
    assert "verify-email#token=" not in text_of(message)
    me = (await api.client.get(ME, headers=user.headers)).json()
    assert me["email"] == user.email


async def test_an_address_taken_before_the_link_is_opened_is_409(mailing: Mailing) -> None:
    api = Api(mailing.client())
    user = await api.user()
    await mailing.turns()
    (verification,) = mailing.take()
    new_email = unique_email("race")
    await _ask(api, user, new_email)
    await mailing.turns()
    (message,) = [m for m in mailing.take() if m["To"] == new_email]
    assert (await api.register(new_email)).status_code == 201
    assert_problem(await api.client.post(CONFIRM, json={"token": link_token(message)}), 409)
    me = (await api.client.get(ME, headers=user.headers)).json()
    assert me["email"] == user.email
    # The verification link of the current address still works.
    ok = await api.client.post(CONFIRM, json={"token": link_token(verification)})
    assert ok.json() == {"email": user.email, "changed": False}


async def test_after_a_change_the_old_address_link_verifies_nothing(mailing: Mailing) -> None:
    api = Api(mailing.client())
    user = await api.user()
    await mailing.turns()
    (verification,) = mailing.take()
    new_email = unique_email("later")
    await _ask(api, user, new_email)
    await mailing.turns()
    (message,) = [m for m in mailing.take() if m["To"] == new_email]
    assert (await api.client.post(CONFIRM, json={"token": link_token(message)})).status_code == 200
    assert_problem(await api.client.post(CONFIRM, json={"token": link_token(verification)}), 422)
