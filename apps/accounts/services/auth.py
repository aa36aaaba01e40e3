"""Sign-in protection and password workflows.

`sign_in_authenticate` is the one sign-in rule, reached through the authentication backend by
both doors: the API's token endpoint and the admin's login form.

Lockout counters live in Redis and are *reserved before* the password is checked: each attempt
first INCRs the account's and the client's counters, and only attempts inside the limit reach the
password check. So twenty concurrent guesses cannot all slip through while the count is still
low; a success gives its reservation back. The account's counter is keyed on the account found
(or, for an unknown address, on the normalised address), so look-alike spellings of one address
share it; the client's on `apps.core.clients.client_ident` (trusted proxies only).
"""

from __future__ import annotations

import hashlib
import logging
import unicodedata
from collections.abc import Callable
from uuid import uuid4

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _
from django_redis import get_redis_connection
from redis.exceptions import RedisError
from rest_framework import status

from apps.core import audit
from apps.core.events import notify_on_commit
from apps.core.exceptions import ApplicationError

from ..models import User
from ..principals import principal_may_act

logger = logging.getLogger("schools24.auth")


class LockedOut(ApplicationError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS


def email_normalise(email: str) -> str:
    """The comparable form of a typed address: NFKC (full-width and compatibility characters
    become their plain forms), case-folded, trimmed. Anything still not plain ASCII is refused
    with a field error: accounts are registered under ASCII addresses only."""
    normal = unicodedata.normalize("NFKC", email or "").casefold().strip()
    if not normal.isascii():
        message = _("Type the e-mail address in plain Latin letters, digits and punctuation.")
        raise ApplicationError(message, code="invalid_email", fields={"email": [message]})
    return normal


def _keys(account: str, client: str) -> tuple[str, str]:
    digest = hashlib.sha256(account.encode()).hexdigest()[:32]
    # Same key namespace as the cache, so cache tooling (and tests) see these counters too.
    return cache.make_key(f"login-fail:acct:{digest}"), cache.make_key(
        f"login-fail:client:{client}"
    )


def login_lockout_check(*, account: str, client: str) -> None:
    """Reserve one attempt for this account key and client, or refuse with 429 when over the
    limit (then even the right password is refused)."""
    account_key, client_key = _keys(account, client)
    ttl = settings.LOGIN_LOCKOUT_SECONDS
    try:
        redis = get_redis_connection("default")
        pipe = redis.pipeline()
        # SET NX EX then INCR: the window starts at the first failure (no EXPIRE NX, which
        # needs Redis 7; the embedded development server is 6.2).
        pipe.set(account_key, 0, ex=ttl, nx=True)
        pipe.incr(account_key)
        pipe.set(client_key, 0, ex=ttl, nx=True)
        pipe.incr(client_key)
        _a, account_count, _c, client_count = pipe.execute()
    except RedisError:
        logger.warning("Login lockout counters unavailable (Redis down); not enforcing lockout")
        return
    if (
        account_count > settings.LOGIN_FAILURE_LIMIT
        or client_count > settings.LOGIN_CLIENT_FAILURE_LIMIT
    ):
        try:
            wait = max(redis.ttl(account_key), redis.ttl(client_key), 1)
        except RedisError:
            wait = ttl
        minutes = max(1, round(wait / 60))
        raise LockedOut(
            _("Too many failed sign-in attempts. Try again in %(minutes)d minutes.")
            % {"minutes": minutes},
            code="locked_out",
        )


def login_failure_record(*, account: str, client: str) -> None:
    """A failed attempt keeps its reservation; nothing more to do, but log it."""
    logger.info(
        "Failed sign-in for account hash %s from %s", _keys(account, client)[0][-8:], client
    )


def login_failure_clear(*, account: str, client: str) -> None:
    """A successful sign-in clears the account's failures and returns the client's reservation."""
    account_key, client_key = _keys(account, client)
    try:
        redis = get_redis_connection("default")
        pipe = redis.pipeline()
        pipe.delete(account_key)
        pipe.decr(client_key)
        pipe.execute()
    except RedisError:
        logger.warning("Login lockout counters unavailable (Redis down)")


def sign_in_authenticate(*, email: str, password: str, client: str) -> User | None:
    """The user for this e-mail and password, or None. Rules, in order:
    - the address is normalised (`email_normalise`); one not plain ASCII is a 400 field error;
    - one attempt is reserved on the account found (unknown address: on the normalised address)
      and on the client *before* the password is checked; over either limit the attempt is
      refused with `LockedOut` (429), even with the right password;
    - unknown address, wrong password, deactivated account or inactive school: None (the
      reservation stays, so it counts as a failure), and all four look the same to the caller;
    - success clears the account's failures and gives the client's reservation back."""
    email = email_normalise(email)
    user = User.objects.select_related("school").filter(email__iexact=email).first()
    account = f"user:{user.pk}" if user is not None else f"email:{email}"
    login_lockout_check(account=account, client=client)
    if user is None:
        User().set_password(password)  # take as long as a real check: do not reveal addresses
        login_failure_record(account=account, client=client)
        return None
    if not user.check_password(password) or not principal_may_act(user):
        login_failure_record(account=account, client=client)
        return None
    login_failure_clear(account=account, client=client)
    return user


# What else a sign-out everywhere ends, registered by the apps that own it (e.g. the calendar's
# feed tokens), so this module needs no import of theirs: callables taking the user.
SIGN_OUT_EVERYWHERE_HOOKS: list[Callable[[User], None]] = []


def on_sign_out_everywhere(hook: Callable[[User], None]) -> Callable[[User], None]:
    """Register `hook(user)` to run, in the same transaction, whenever a user is signed out
    everywhere (password change or reset, deactivation, a password set by an admin)."""
    if hook not in SIGN_OUT_EVERYWHERE_HOOKS:
        SIGN_OUT_EVERYWHERE_HOOKS.append(hook)
    return hook


@transaction.atomic
def sign_out_everywhere(user: User) -> None:
    """End every session of `user`: every refresh token is blacklisted and every sign-in's token
    family ended, so each device must sign in again; registered hooks end the rest (calendar
    feed tokens)."""
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

    from .tokens import token_families_end_all

    for token in OutstandingToken.objects.filter(user=user).exclude(blacklistedtoken__isnull=False):
        BlacklistedToken.objects.get_or_create(token=token)
    token_families_end_all(user=user, reason="sign_out_everywhere")
    for hook in SIGN_OUT_EVERYWHERE_HOOKS:
        hook(user)


def _validate_new_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ApplicationError(
            _("The new password is not strong enough."),
            fields={"new_password": list(exc.messages)},
        ) from exc


@transaction.atomic
def password_change(*, user: User, old_password: str, new_password: str) -> None:
    """Change one's own password; every session (refresh token) is signed out."""
    if not user.check_password(old_password):
        raise ApplicationError(
            _("The current password is wrong."),
            code="wrong_password",
            fields={"old_password": [_("The current password is wrong.")]},
        )
    _validate_new_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password", "updated_at"])
    sign_out_everywhere(user)
    audit.record(
        actor=user, action="user.password_change", instance=user, after={"password": "changed"}
    )
    notify_on_commit("accounts.password_changed", user, at=user.updated_at.isoformat())


def password_reset_request(*, email: str) -> None:
    """Queue a reset e-mail if an active account has this address. Silent otherwise, so the
    answer never tells whether an address is registered."""
    try:
        email = email_normalise(email)
    except ApplicationError:
        return  # no account has such an address; say nothing, as for any unknown address
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    if user is None:
        return
    language = translation.get_language() or settings.LANGUAGE_CODE
    # A critical notification (no opt-out, no quiet hours) whose e-mail carries a link made at
    # send time; each request is its own event, a retried task sends it once.
    notify_on_commit("accounts.password_reset", user, language=language, request=uuid4().hex)


def password_reset_token(user: User) -> tuple[str, str]:
    return urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)


@transaction.atomic
def password_reset_confirm(*, uid: str, token: str, new_password: str) -> User:
    """Set a new password from an e-mailed link. The token dies once the password changes."""
    invalid = ApplicationError(
        _("This password reset link is invalid or has expired."),
        code="invalid_token",
        fields={"token": [_("This password reset link is invalid or has expired.")]},
    )
    try:
        user = User.objects.get(pk=force_str(urlsafe_base64_decode(uid)), is_active=True)
    except (User.DoesNotExist, ValueError, TypeError, OverflowError, ValidationError):
        raise invalid from None
    if not default_token_generator.check_token(user, token):
        raise invalid
    _validate_new_password(new_password, user)
    user.set_password(new_password)
    user.email_verified = True  # they proved they read this mailbox
    user.save(update_fields=["password", "email_verified", "updated_at"])
    sign_out_everywhere(user)
    audit.record(
        actor=user, action="user.password_reset", instance=user, after={"password": "reset"}
    )
    return user
