"""API token revocation: single tokens (logout) and every token of a user (`User.token_epoch`)."""
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import CursorResult, delete, select

from healthpal.domain import clock
from healthpal.domain.transactions import atomic
from healthpal.extensions import db
from healthpal.models import RevokedToken, User


def revoke(*jtis_and_expiry: tuple[str, int]) -> None:
    """Revoke tokens given as (jti, exp) pairs, in one transaction; already revoked ones are skipped."""
    wanted = dict(jtis_and_expiry)
    known = set(db.session.scalars(select(RevokedToken.jti).where(RevokedToken.jti.in_(wanted))))
    with atomic({"uq_revoked_tokens_jti": ("detail", "Token already revoked.")}):
        for jti, exp in wanted.items():
            if jti not in known:
                db.session.add(RevokedToken(jti=jti, expires_at=datetime.fromtimestamp(exp, UTC)))


def holder(*, user_id: int, jti: str) -> tuple[User | None, bool]:
    """In one query: the token's user (None if deleted) and whether this token was revoked.

    Whether the user is still active, and whether the token predates the user's current
    `token_epoch`, is for the caller to judge from the returned user.
    """
    revoked = select(RevokedToken.id).where(RevokedToken.jti == jti).exists()
    row = db.session.execute(select(User, revoked).where(User.id == user_id)).first()
    return (None, False) if row is None else (row[0], bool(row[1]))


def purge_expired() -> int:
    """Forget revoked tokens that have expired anyway; returns how many."""
    with atomic():
        result = db.session.execute(delete(RevokedToken).where(RevokedToken.expires_at < clock.now()))
        removed = cast(CursorResult, result).rowcount
    return removed
