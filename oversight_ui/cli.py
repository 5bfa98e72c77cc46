"""`custodes ui` (serve the dashboard) and `custodes users` (manage its users).

Registered by `custodes/cli.py` through `register(subparsers)`.
"""
from __future__ import annotations

import argparse
import getpass
import secrets
import sys

from custodes.parties import PARTIES


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    ui = subparsers.add_parser(
        "ui", help="serve the supervisors' dashboard",
        description="Serve the supervisors' dashboard (pages and JSON API under /api, "
        "OpenAPI at /api/openapi.json). Reads DATABASE_URL.",
    )
    ui.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    ui.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    ui.add_argument("--demo-users", action="store_true",
                    help="create (or reset) one demo user per role first and print their passwords")
    ui.add_argument("--no-migrate", action="store_true",
                    help="do not run the schema migrations (alembic upgrade head) at start")
    ui.set_defaults(func=_run_ui)

    users = subparsers.add_parser(
        "users", help="manage dashboard users",
        description="Manage the dashboard's users. Roles: dpa:<PARTY>, edps, us-privacy, "
        "joint-review, auditor, auditor:<PARTY>.",
    )
    sub = users.add_subparsers(dest="users_command", metavar="ACTION")
    add = sub.add_parser("add", help="add a user (asks for the password twice)",
                         description="Add a user. The password is asked for on the terminal, or "
                         "read from standard input with --password-stdin (first line).")
    add.add_argument("username")
    add.add_argument("--role", required=True, help="dpa:<PARTY>, edps, us-privacy, joint-review, auditor")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.set_defaults(func=_users_add)
    lst = sub.add_parser("list", help="list users", description="List users with role and status.")
    lst.set_defaults(func=_users_list)
    dis = sub.add_parser("disable", help="disable a user and end their sessions",
                         description="Disable a user; every open session of the user ends at once.")
    dis.add_argument("username")
    dis.set_defaults(func=_users_disable)
    pw = sub.add_parser("passwd", help="set a new password (ends the user's sessions)",
                        description="Set a user's password; asks on the terminal or --password-stdin.")
    pw.add_argument("username")
    pw.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    pw.set_defaults(func=_users_passwd)
    seed = sub.add_parser("seed-demo", help="create one demo user per role, print the passwords",
                          description="Create (or reset the password of) one demo user per role "
                          "and print the usernames and passwords. For demonstrations only.")
    seed.set_defaults(func=_users_seed)
    users.set_defaults(func=lambda _a: (users.print_help(), 2)[1])


def _sessionmaker():
    from oversight_ui.db import make_engine, make_sessionmaker
    from oversight_ui.settings import UISettings
    from store.db import migrate

    settings = UISettings.from_env()
    migrate(settings.database_url)  # alembic upgrade head: a no-op when already there
    return make_sessionmaker(make_engine(settings.database_url)), settings


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat: ") != first:
        raise ValueError("the passwords differ")
    return first


def _users_add(args: argparse.Namespace) -> int:
    from oversight_ui.auth.users import add_user

    try:
        password = _read_password(args.password_stdin)
        factory, _ = _sessionmaker()
        with factory() as db:
            add_user(db, args.username, args.role, password)
            db.commit()
    except ValueError as exc:
        print(f"custodes users add: {exc}", file=sys.stderr)
        return 2
    print(f"added {args.username} ({args.role})")
    return 0


def _users_list(args: argparse.Namespace) -> int:
    from oversight_ui.auth.users import list_users

    factory, _ = _sessionmaker()
    with factory() as db:
        users = list_users(db)
    if not users:
        print("no users yet: add one with `custodes users add NAME --role ROLE`")
    for u in users:
        last = u.last_login_at.strftime("%Y-%m-%d %H:%M UTC") if u.last_login_at else "never"
        print(f"{u.username:<24} {u.role:<16} {'disabled' if u.disabled else 'active':<9} last sign-in {last}")
    return 0


def _users_disable(args: argparse.Namespace) -> int:
    from oversight_ui.auth.users import UserError, disable_user

    factory, _ = _sessionmaker()
    with factory() as db:
        try:
            disable_user(db, args.username)
        except UserError as exc:
            print(f"custodes users disable: {exc}", file=sys.stderr)
            return 2
        db.commit()
    print(f"disabled {args.username}; their sessions have ended")
    return 0


def _users_passwd(args: argparse.Namespace) -> int:
    from oversight_ui.auth.users import UserError, set_password

    try:
        password = _read_password(args.password_stdin)
        factory, _ = _sessionmaker()
        with factory() as db:
            set_password(db, args.username, password)
            db.commit()
    except (UserError, ValueError) as exc:
        print(f"custodes users passwd: {exc}", file=sys.stderr)
        return 2
    print(f"password of {args.username} changed; their sessions have ended")
    return 0


def demo_username(role: str) -> str:
    return "demo-" + role.replace(":", "-").lower()


def seed_demo_users() -> list[tuple[str, str, str]]:
    """Create or reset one demo user per role; returns (username, role, password)."""
    from sqlalchemy import select

    from oversight_ui.auth.passwords import hash_password
    from oversight_ui.auth.users import add_user
    from oversight_ui.scope import all_roles
    from store.ui_models import UIUser

    factory, _ = _sessionmaker()
    out: list[tuple[str, str, str]] = []
    with factory() as db:
        for role in all_roles():
            name, password = demo_username(role), secrets.token_urlsafe(12)
            user = db.scalar(select(UIUser).where(UIUser.username == name))
            if user is None:
                add_user(db, name, role, password)
            else:
                user.password_hash, user.role, user.disabled = hash_password(password), role, False
            out.append((name, role, password))
        db.commit()
    return out


def _print_demo(users: list[tuple[str, str, str]]) -> None:
    print("Demo users (one per role; passwords change each time they are seeded):")
    shown = [u for u in users if not u[1].startswith("dpa:") or u[1] in ("dpa:DE", "dpa:FR", "dpa:US")]
    for name, role, password in shown:
        print(f"  {name:<22} {role:<14} {password}")
    rest = len(users) - len(shown)
    if rest:
        print(f"  … and {rest} more dpa:<PARTY> users (demo-dpa-<party>), passwords:")
        line = "    " + "  ".join(f"{u[1][4:]}={u[2]}" for u in users if u not in shown)
        print(line)


def _users_seed(args: argparse.Namespace) -> int:
    _print_demo(seed_demo_users())
    return 0


def _run_ui(args: argparse.Namespace) -> int:
    import uvicorn

    from oversight_ui.app import create_app
    from oversight_ui.settings import UISettings

    settings = UISettings.from_env()
    if args.demo_users:
        _print_demo(seed_demo_users())
    if not args.no_migrate and not args.demo_users:
        from store.db import migrate
        migrate(settings.database_url)
    app = create_app(settings)
    print(f"Custodes dashboard on http://{args.host}:{args.port}/  (database {settings.masked_database_url()})")
    if not args.demo_users:
        print("Sign in with a user from `custodes users add`, or start with --demo-users.")
    print(f"Parties: {' '.join(PARTIES)}")
    # Behind a reverse proxy, the client address (sign-in limit per address) comes from
    # X-Forwarded-For, trusted only when sent by one of CUSTODES_UI_TRUSTED_PROXIES.
    proxies = settings.trusted_proxies
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning",
                proxy_headers=proxies is not None, forwarded_allow_ips=proxies)
    return 0
