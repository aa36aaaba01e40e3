"""The signed-in principal, cached per token family, so an authenticated API request costs no
database query.

What is kept, through the default cache (django-redis with the tagged codec) for
`REDIS_DEFAULT_TTL` seconds, under the access token's family (its `fam` claim; per user for a
token without one): the user's fields (all but the password hash, which loads on first use),
their school's fields and their Django permissions (a staff member's duties). An entry is only
ever written for a principal the rules admitted: active, school active, session not ended.

How it is invalidated: every entry carries its user's *generation*, read before the database
load. A generation is a random token in Redis (`principal:gen:<user id>`), replaced whenever
anything an entry depends on changes, and an entry whose generation is not the current one is
never used:
- the user saved or deleted, their groups or own permissions changed (signals, below);
- their school saved (every user of the school);
- a group's permissions changed, a group or a permission deleted (every member);
- one of their sessions ended: sign-out, sign-out everywhere, a device signed out, a refresh
  token reused (`tokens.py` and the family's own save).
Random tokens, not counters: a generation evicted from Redis comes back as a new token that no
old entry matches. The token is replaced at once, inside the writing transaction, and again
after it commits, so a request that read the old rows while the write was under way cannot
leave behind an entry that still matches.

Redis unreachable: authentication reads the database, as it did before this cache (one query);
a change whose invalidation cannot reach Redis fails (503, its transaction rolled back) rather
than leave a stale entry to be served when Redis is back. Two exceptions, whose staleness is
harmless: a new user or school (nothing cached yet), and a save of `last_login` alone (a
sign-in), which is logged instead. A save of the password hash alone (upgraded at sign-in)
invalidates nothing: it is not cached, and a password *change* signs every session out.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, models, transaction
from django.db.models.fields.files import FieldFile
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django_redis import get_redis_connection
from redis.exceptions import NoScriptError

from .models import Role, School, TokenFamily, User

logger = logging.getLogger("schools24.auth")

PREFIX = "principal:v1"
# Fields never kept in Redis; they load from the database on first access (a deferred field).
UNCACHED_USER_FIELDS = frozenset({"password"})


def _ttl() -> int:
    return settings.REDIS_DEFAULT_TTL


def _gen_key(user_id: Any) -> str:
    return f"{PREFIX}:gen:{user_id}"


def _entry_key(user_id: Any, family_id: Any) -> str:
    if family_id:
        return f"{PREFIX}:fam:{family_id}"
    return f"{PREFIX}:user:{user_id}"


# --- Instances to and from plain values --------------------------------------------------------
def _values(instance: models.Model, exclude: frozenset[str] = frozenset()) -> dict[str, Any]:
    values = {}
    for field in instance._meta.concrete_fields:
        if field.attname in exclude:
            continue
        value = getattr(instance, field.attname)
        values[field.attname] = value.name if isinstance(value, FieldFile) else value
    return values


def _instance(model: type[models.Model], values: dict[str, Any]) -> models.Model:
    """An instance as if loaded from the database; a field missing from `values` (the password,
    or one added since the entry was written) is deferred and loads on first access."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(DEFAULT_DB_ALIAS, names, [values[name] for name in names])


def _permissions(user: User) -> tuple[frozenset[str], frozenset[str]] | None:
    """A staff member's own and group (duty) permissions, as Django's ModelBackend computes and
    caches them on the instance (`_user_perm_cache`, `_group_perm_cache`). None for everyone
    else: the access rules ask `has_perm` of staff only, so other roles would pay two queries
    per cache miss for nothing; if something does ask, the backend loads them as usual."""
    if user.role != Role.STAFF or user.is_superuser or not user.is_active:
        return None
    backend = ModelBackend()
    return (
        frozenset(backend.get_user_permissions(user)),
        frozenset(backend.get_group_permissions(user)),
    )


def _entry(user: User, generation: str) -> dict[str, Any]:
    return {
        "generation": generation,
        "user": _values(user, UNCACHED_USER_FIELDS),
        "school": _values(user.school) if user.school_id is not None else None,
        "perms": _permissions(user),
    }


def _principal(entry: dict[str, Any]) -> User:
    user = _instance(User, entry["user"])
    if entry["school"] is not None:
        user.school = _instance(School, entry["school"])
    perms = entry["perms"]
    if perms is not None:
        own, group = perms
        user._user_perm_cache = set(own)
        user._group_perm_cache = set(group)
        user._perm_cache = set(own) | set(group)
    return user


# --- Reading ----------------------------------------------------------------------------------
def _read(entry_key: str, gen_key: str, windows) -> dict[str, Any]:
    """The entry and the generation (as `cache.get_many`), with the request's throttle windows
    (`apps.core.throttling.CountedWindows`) counted in the same round trip."""
    if windows is None:
        return cache.get_many([entry_key, gen_key])
    backend = cache.client
    keys = [backend.make_key(entry_key), backend.make_key(gen_key)]
    client = get_redis_connection("default")
    for attempt in (0, 1):
        pipe = client.pipeline(transaction=False)
        pipe.mget(keys)
        windows.add(pipe, client)
        try:
            results = pipe.execute()
            break
        except NoScriptError:  # a restarted or flushed Redis: nothing was counted
            if attempt:
                raise
            windows.load(client)
    windows.keep(results[1:])
    entry, generation = results[0]
    return {
        name: backend.decode(value)
        for name, value in ((entry_key, entry), (gen_key, generation))
        if value is not None
    }


def principal_get(*, user_id: Any, family_id: Any, load: Callable[[], User], windows=None) -> User:
    """The principal of an access token: from the cache when its entry is current, otherwise
    `load()` (which reads the database and raises for a principal the rules refuse) and cached
    for the next request. Redis trouble of any kind means the database answers. `windows`: the
    request's throttle windows to count in the same round trip (`counted_with_principal`); if
    that round trip fails, the throttles count on their own later."""
    entry_key, gen_key = _entry_key(user_id, family_id), _gen_key(user_id)
    try:
        found = _read(entry_key, gen_key, windows)
    except Exception as exc:  # noqa: BLE001 - any cache failure: the database is the truth
        logger.warning("Principal cache unavailable, reading the database: %s", exc)
        return load()
    generation, entry = found.get(gen_key), found.get(entry_key)
    if (
        generation is not None
        and isinstance(entry, dict)
        and entry.get("generation") == generation
        and str(entry["user"].get("id")) == str(user_id)
    ):
        return _principal(entry)
    try:
        if generation is None:
            cache.add(gen_key, secrets.token_hex(8), timeout=_ttl())
            generation = cache.get(gen_key)
    except Exception as exc:  # noqa: BLE001
        logger.warning("Principal cache unavailable, reading the database: %s", exc)
        return load()
    user = load()  # read after the generation: a change from now on replaces it
    if generation is not None:
        entry = _entry(user, generation)  # outside the try: a database error is not Redis's
        try:
            cache.set(entry_key, entry, timeout=_ttl())
        except Exception as exc:  # noqa: BLE001
            logger.warning("Principal cache unavailable, not caching: %s", exc)
    return user


# --- Invalidating -----------------------------------------------------------------------------
def _replace(user_ids: frozenset[str], *, strict: bool) -> None:
    try:
        cache.set_many({_gen_key(i): secrets.token_hex(8) for i in user_ids}, timeout=_ttl())
    except Exception:
        if strict:
            raise
        logger.exception("Could not invalidate cached sessions of %d user(s)", len(user_ids))


def principals_changed(user_ids: Iterable[Any], *, strict: bool = True) -> None:
    """Every cached principal of these users is stale: their next request reads the database.
    Done now and again once the current transaction commits. `strict`: a Redis failure now
    raises (and so refuses the change) instead of being logged."""
    ids = frozenset(str(i) for i in user_ids if i is not None)
    if not ids:
        return
    _replace(ids, strict=strict)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _replace(ids, strict=False))


def _members(group_ids: Iterable[Any]) -> list[Any]:
    return list(User.objects.filter(groups__in=list(group_ids)).values_list("pk", flat=True))


# --- Signals: every write that changes what an entry holds ---------------------------------
def _user_saved(sender, instance: User, created: bool, update_fields=None, **kwargs) -> None:
    changed = set(update_fields) if update_fields is not None else None
    if created or (changed is not None and changed <= UNCACHED_USER_FIELDS):
        return  # nothing cached yet, or nothing cached changed (a hash upgraded at sign-in)
    sign_in_only = changed is not None and changed <= {"last_login", *UNCACHED_USER_FIELDS}
    principals_changed([instance.pk], strict=not sign_in_only)


def _user_deleted(sender, instance: User, **kwargs) -> None:
    principals_changed([instance.pk])


def _school_saved(sender, instance: School, created: bool, **kwargs) -> None:
    if not created:
        principals_changed(User.objects.filter(school=instance).values_list("pk", flat=True))


def _family_saved(sender, instance: TokenFamily, **kwargs) -> None:
    if instance.revoked_at is not None:
        principals_changed([instance.user_id])


def _user_m2m_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """user.groups / user.user_permissions, from either side."""
    if not reverse:
        if action in ("post_add", "post_remove", "post_clear"):
            principals_changed([instance.pk])
    elif action in ("post_add", "post_remove"):
        principals_changed(pk_set or ())
    elif action == "pre_clear":  # group.user_set.clear(): the members are known only before
        principals_changed(instance.user_set.values_list("pk", flat=True))


def _group_permissions_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """group.permissions / permission.group_set: every member of the groups concerned."""
    if not reverse:
        if action in ("post_add", "post_remove", "post_clear"):
            principals_changed(_members([instance.pk]))
    elif action in ("post_add", "post_remove"):
        principals_changed(_members(pk_set or ()))
    elif action == "pre_clear":
        principals_changed(_members(instance.group_set.values_list("pk", flat=True)))


def _group_deleted(sender, instance: Group, **kwargs) -> None:
    principals_changed(_members([instance.pk]))


def _permission_deleted(sender, instance: Permission, **kwargs) -> None:
    holders = User.objects.filter(
        models.Q(user_permissions=instance) | models.Q(groups__permissions=instance)
    )
    principals_changed(holders.values_list("pk", flat=True).distinct())


def connect() -> None:
    uid = "accounts.principal_cache"
    post_save.connect(_user_saved, sender=User, dispatch_uid=f"{uid}.user_saved")
    post_delete.connect(_user_deleted, sender=User, dispatch_uid=f"{uid}.user_deleted")
    post_save.connect(_school_saved, sender=School, dispatch_uid=f"{uid}.school_saved")
    post_save.connect(_family_saved, sender=TokenFamily, dispatch_uid=f"{uid}.family_saved")
    for through in (User.groups.through, User.user_permissions.through):
        m2m_changed.connect(_user_m2m_changed, sender=through, dispatch_uid=f"{uid}.{through}")
    m2m_changed.connect(
        _group_permissions_changed,
        sender=Group.permissions.through,
        dispatch_uid=f"{uid}.group_permissions",
    )
    pre_delete.connect(_group_deleted, sender=Group, dispatch_uid=f"{uid}.group_deleted")
    pre_delete.connect(
        _permission_deleted, sender=Permission, dispatch_uid=f"{uid}.permission_deleted"
    )
