"""Sign-up takes the browser's time zone; the date locale is a preference of the account."""

from __future__ import annotations

import pytest

from tests.helpers import PASSWORD, Api, assert_problem, unique_email

REGISTER = "/api/v1/auth/register"
ME = "/api/v1/users/me"


async def test_register_takes_the_zone_the_browser_reports(api: Api) -> None:
    email = unique_email("Zone")
    response = await api.client.post(
        REGISTER,
        json={"email": email, "password": PASSWORD, "name": "Priya", "timezone": "Asia/Kolkata"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["timezone"] == "Asia/Kolkata"
    # Stored, not only echoed: the profile read after logging in has it.
    token = (await api.login(email)).json()["access_token"]
    me = await api.client.get(ME, headers={"Authorization": f"Bearer {token}"})
    assert me.json()["timezone"] == "Asia/Kolkata"


async def test_register_without_a_zone_starts_in_utc(api: Api) -> None:
    response = await api.register(unique_email("NoZone"))
    assert response.status_code == 201, response.text
    assert response.json()["timezone"] == "UTC"


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "x" * 65])
async def test_register_refuses_an_unknown_zone_naming_the_field(api: Api, zone: str) -> None:
    email = unique_email("BadZone")
    response = await api.client.post(
        REGISTER, json={"email": email, "password": PASSWORD, "name": "Priya", "timezone": zone}
    )
    body = assert_problem(response, 422, "validation-error")
    assert [e["field"] for e in body["errors"]] == ["timezone"]
    # No account was made.
    assert (await api.login(email)).status_code == 401


async def test_the_date_locale_is_a_preference_auto_until_chosen(api: Api) -> None:
    user = await api.user()
    headers = {"Authorization": f"Bearer {user.access_token}"}
    assert (await api.client.get(ME, headers=headers)).json()["preferences"]["locale"] == "auto"
    chosen = await api.client.patch(ME, headers=headers, json={"preferences": {"locale": "en-US"}})
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["preferences"]["locale"] == "en-US"
    back = await api.client.patch(ME, headers=headers, json={"preferences": {"locale": "auto"}})
    assert back.json()["preferences"]["locale"] == "auto"
    refused = await api.client.patch(ME, headers=headers, json={"preferences": {"locale": "xx-YY"}})
    body = assert_problem(refused, 422, "validation-error")
    assert [e["field"] for e in body["errors"]] == ["preferences.locale"]
