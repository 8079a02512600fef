"""What the auth domain accepts and exposes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field

from tasklane.core.validation import no_nul
from tasklane.users.schemas import Name, PasswordIn, TimeZoneName

#: An address as typed: not validated as one (a malformed address must answer like any
#: other), but bounded and free of NUL, which no database stores.
EmailText = Annotated[str, Field(min_length=1, max_length=320), AfterValidator(no_nul)]


class RegisterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr = Field(max_length=320)
    password: PasswordIn
    name: Name
    #: The browser's zone, asked at sign-up; UTC when not given.
    timezone: TimeZoneName | None = None


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Not validated as an address: a malformed one must answer like a wrong password.
    email: EmailText
    password: PasswordIn


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme's name
    expires_in: int = Field(description="Seconds until the access token expires.")


class PasswordResetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Not validated as an address: any answer would tell which addresses have accounts.
    email: EmailText


class PasswordResetConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=200, description="From the emailed link.")
    new_password: PasswordIn


class Accepted(BaseModel):
    detail: str


class LinkToken(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=200, description="From the emailed link.")


class EmailConfirmed(BaseModel):
    email: str = Field(description="The address now verified.")
    changed: bool = Field(description="Whether the account moved to this address.")
