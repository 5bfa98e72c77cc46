"""User management shared by the `custodes users` CLI and the tests."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from oversight_ui.auth.passwords import hash_password
from oversight_ui.auth.sessions import revoke_all_for_user
from oversight_ui.scope import scope_for
from store.ui_models import UIUser

USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-")


class UserError(ValueError):
    """A user operation that cannot be done, with a message for the operator."""


def add_user(db: Session, username: str, role: str, password: str) -> UIUser:
    """Create a user; the role is checked against SPEC §8 and the password hashed."""
    if not username or len(username) > 64 or not set(username) <= USERNAME_CHARS:
        raise UserError(f"invalid username {username!r}: use 1-64 of a-z 0-9 . _ -")
    scope_for(role)  # raises UnknownRole (a ValueError) with the list of roles
    if db.scalar(select(UIUser.id).where(UIUser.username == username)) is not None:
        raise UserError(f"user {username!r} already exists")
    user = UIUser(username=username, role=role, password_hash=hash_password(password), disabled=False)
    db.add(user)
    db.flush()
    return user


def set_password(db: Session, username: str, password: str) -> None:
    user = db.scalar(select(UIUser).where(UIUser.username == username))
    if user is None:
        raise UserError(f"no user {username!r}")
    user.password_hash = hash_password(password)
    revoke_all_for_user(db, user.id)


def disable_user(db: Session, username: str) -> UIUser:
    """Disable a user and end all their sessions at once."""
    user = db.scalar(select(UIUser).where(UIUser.username == username))
    if user is None:
        raise UserError(f"no user {username!r}")
    user.disabled = True
    revoke_all_for_user(db, user.id)
    return user


def list_users(db: Session) -> list[UIUser]:
    return list(db.scalars(select(UIUser).order_by(UIUser.username)))
