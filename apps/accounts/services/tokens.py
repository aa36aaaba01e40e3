"""Refresh-token families: every password sign-in starts one, every rotation continues it.

Each refresh token carries two claims besides simplejwt's own:
- `fam`: the family (a `TokenFamily` row, one per password sign-in);
- `auth_time`: when the password was entered (seconds since the epoch).
Access tokens copy both.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework_simplejwt.exceptions import TokenBackendError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch, datetime_to_epoch

from apps.core.exceptions import ApplicationError

from ..models import TokenFamily, User
from ..principal_cache import principals_changed
from ..principals import principal_may_act

logger = logging.getLogger("schools24.auth")

FAMILY_CLAIM = TokenFamily.CLAIM
AUTH_TIME_CLAIM = "auth_time"


class TokenRefused(ApplicationError):
    status_code = status.HTTP_401_UNAUTHORIZED


def _now() -> dt.datetime:
    return timezone.now()


def session_limit(signed_in_at: dt.datetime) -> dt.datetime:
    """The moment a sign-in's session ends, however often its tokens were rotated."""
    return signed_in_at + dt.timedelta(hours=settings.JWT_EXPIRY_HOURS)


def _issue(user: User, family: TokenFamily, now: dt.datetime) -> RefreshToken:
    """A refresh token of `family` that expires at the session's limit, and is outstanding."""
    limit = session_limit(family.signed_in_at)
    refresh = RefreshToken()
    refresh[api_settings.USER_ID_CLAIM] = str(getattr(user, api_settings.USER_ID_FIELD))
    refresh[FAMILY_CLAIM] = str(family.pk)
    refresh[AUTH_TIME_CLAIM] = datetime_to_epoch(family.signed_in_at)
    refresh.set_exp(from_time=limit, lifetime=dt.timedelta(0))
    OutstandingToken.objects.create(
        user=user,
        jti=refresh[api_settings.JTI_CLAIM],
        token=str(refresh),
        created_at=now,
        expires_at=limit,
    )
    return refresh


def _pair(refresh: RefreshToken, limit: dt.datetime) -> dict[str, str]:
    access = refresh.access_token
    # An access token never outlives its session either.
    if datetime_from_epoch(access["exp"]) > limit:
        access.set_exp(from_time=limit, lifetime=dt.timedelta(0))
    return {"access": str(access), "refresh": str(refresh)}


@transaction.atomic
def tokens_for_sign_in(
    *, user: User, client: str = "", ip_address: str | None = None
) -> dict[str, str]:
    """Access and refresh tokens for a password sign-in just made: a new family, whose session
    ends `JWT_EXPIRY_HOURS` from now whatever happens to its tokens. `client` (the User-Agent)
    and `ip_address` describe the device in the caller's list of sessions."""
    now = _now()
    family = TokenFamily.objects.create(
        user=user,
        signed_in_at=now,
        last_used_at=now,
        client=(client or "")[:200],
        ip_address=ip_address or None,
    )
    refresh = _issue(user, family, now)
    return _pair(refresh, session_limit(family.signed_in_at))


def _refused(message: str, code: str) -> TokenRefused:
    return TokenRefused(message, code=code, fields={"refresh": [message]})


def _blacklist(jti: str, user: User | None, payload: dict[str, Any]) -> None:
    outstanding, _created = OutstandingToken.objects.get_or_create(
        jti=jti,
        defaults={
            "user": user,
            "created_at": _now(),
            "token": "",
            "expires_at": datetime_from_epoch(payload["exp"]),
        },
    )
    BlacklistedToken.objects.get_or_create(token=outstanding)


def _rotate(raw: str) -> dict[str, str] | TokenRefused:
    from rest_framework_simplejwt.state import token_backend

    invalid = _refused(_("This refresh token is invalid or has expired."), "token_not_valid")
    try:
        payload = token_backend.decode(raw, verify=True)
    except TokenBackendError:
        return invalid
    if payload.get(api_settings.TOKEN_TYPE_CLAIM) != "refresh" or "jti" not in payload:
        return invalid
    jti = payload[api_settings.JTI_CLAIM]
    user = (
        User.objects.select_related("school")
        .filter(**{api_settings.USER_ID_FIELD: payload.get(api_settings.USER_ID_CLAIM)})
        .first()
    )
    if user is None:
        return invalid
    now = _now()
    family_id = payload.get(FAMILY_CLAIM)
    if family_id is None:
        # Issued before families existed: adopt it, its session counted from its issue time.
        issued = datetime_from_epoch(payload.get("iat", datetime_to_epoch(now)))
        family = TokenFamily.objects.create(user=user, signed_in_at=issued)
    else:
        # One rotation of a family at a time: a concurrent second use of the same token waits
        # here and then finds it rotated, which is a reuse.
        family = TokenFamily.objects.select_for_update().filter(pk=family_id).first()
        if family is None:
            return invalid
    if family.revoked_at is not None:
        return _refused(_("This session has ended. Sign in again."), "session_revoked")
    if BlacklistedToken.objects.filter(token__jti=jti).exists():
        family.revoked_at = now
        family.revoked_reason = "reuse"
        family.save(update_fields=["revoked_at", "revoked_reason", "updated_at"])
        logger.warning("Refresh token reused; session %s of user %s revoked", family.pk, user.pk)
        return _refused(
            _("This refresh token was already used, so the session was ended. Sign in again."),
            "token_reused",
        )
    if now >= session_limit(family.signed_in_at):
        return _refused(_("This session has expired. Sign in again."), "session_expired")
    if not principal_may_act(user):
        return _refused(_("This account cannot be used at the moment."), "user_inactive")
    _blacklist(jti, user, payload)
    family.last_used_at = now
    family.save(update_fields=["last_used_at", "updated_at"])
    refresh = _issue(user, family, now)
    return _pair(refresh, session_limit(family.signed_in_at))


def tokens_refresh(*, raw: str) -> dict[str, str]:
    """New access and refresh tokens for a refresh token, which is used up (blacklisted).
    Rules, each refusal a 401 with its own code:
    - the token is a valid, unexpired refresh token (`token_not_valid`);
    - its family was not ended by a sign-out or an earlier reuse (`session_revoked`);
    - it was not already rotated: presenting a rotated token revokes its whole family, so every
      token descended from that sign-in, the latest included, stops working (`token_reused`);
    - the family's password sign-in is less than `JWT_EXPIRY_HOURS` old; rotation never moves
      that limit, and new tokens expire at it (`session_expired`);
    - `principal_may_act` still admits the user (`user_inactive`).
    A refusal for reuse is kept (the family stays revoked) although the request fails."""
    with transaction.atomic():
        outcome = _rotate(raw)
    if isinstance(outcome, TokenRefused):
        raise outcome
    return outcome


@transaction.atomic
def token_family_end(*, family_id: str | None, reason: str) -> None:
    """End one sign-in's session (sign-out): its remaining refresh tokens are refused, and its
    access tokens from the next request (its cached principal is invalidated)."""
    if family_id:
        open_family = TokenFamily.objects.filter(pk=family_id, revoked_at__isnull=True)
        users = list(open_family.values_list("user_id", flat=True))
        if open_family.update(revoked_at=_now(), revoked_reason=reason):
            principals_changed(users)  # its access tokens stop at once too


@transaction.atomic
def token_families_end_all(*, user: User, reason: str) -> None:
    """End every session of `user` (sign-out everywhere)."""
    TokenFamily.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=_now(), revoked_reason=reason
    )
    principals_changed([user.pk])


@transaction.atomic
def session_end(*, user: User, session: TokenFamily) -> None:
    """Sign one of `user`'s devices out: the session's refresh tokens are refused from now on,
    and so are its access tokens (JWTAuthentication checks the family), audited."""
    from apps.core import audit

    ended = TokenFamily.objects.filter(pk=session.pk, revoked_at__isnull=True).update(
        revoked_at=_now(), revoked_reason="signed_out_device"
    )
    if ended:
        principals_changed([user.pk])
        audit.record(
            actor=user,
            action="session.end",
            instance=session,
            before={"client": session.client, "signed_in_at": session.signed_in_at.isoformat()},
            school=user.school,
        )


def sessions_purge_expired(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Delete what can never be used again: sign-in sessions past their limit
    (`JWT_EXPIRY_HOURS` after the password was entered; their refresh tokens have expired with
    them) and expired outstanding refresh tokens with their blacklist entries (simplejwt's
    `flushexpiredtokens`). Revoked sessions stay until their limit, so the sessions list and
    the reuse check keep seeing them while a token of theirs could still be presented."""
    now = now or _now()
    cutoff = now - dt.timedelta(hours=settings.JWT_EXPIRY_HOURS)
    _, by_model = TokenFamily.objects.filter(signed_in_at__lt=cutoff).delete()
    families = by_model.get(TokenFamily._meta.label, 0)
    _, by_model = OutstandingToken.objects.filter(expires_at__lte=now).delete()
    tokens = by_model.get(OutstandingToken._meta.label, 0)
    if families or tokens:
        logger.info("Purged %d expired sign-in sessions and %d refresh tokens", families, tokens)
    return {"sessions": families, "tokens": tokens}
