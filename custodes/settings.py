"""Typed settings, built once from the environment at a process's composition root.

Nothing in Custodes reads `os.environ` elsewhere: a process calls
`Settings.from_env()` once and passes the result down, so tests can build a
`Settings(...)` by hand and no secret leaks into logs (the database password
is masked in `repr`).
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

# The default addresses are the local stack's (`custodes stack up`), and the topic
# names are defined with it: custodes.stack.layout is their one source.
from custodes.stack.layout import DATABASE_URL as DEFAULT_DATABASE_URL
from custodes.stack.layout import EVENTS_TOPIC, FINDINGS_TOPIC, QUARANTINE_TOPIC
from custodes.stack.layout import KAFKA_BOOTSTRAP as DEFAULT_KAFKA

DEFAULT_STATE_DIR = ".local/state"

# Every environment variable Settings reads (docker-compose and docs list exactly these).
ENV_VARS: tuple[str, ...] = (
    "KAFKA_BOOTSTRAP_SERVERS",
    "DATABASE_URL",
    "CUSTODES_TOPIC_PREFIX",
    "CUSTODES_POLICY",
    "CUSTODES_TRUST",
    "CUSTODES_STATE_DIR",
)
_PASSWORD = re.compile(r"(://[^:/@]*:)([^@]*)(@)")


def mask_url(url: str) -> str:
    """The URL with its password replaced by ***, for logs and repr."""
    return _PASSWORD.sub(r"\1***\3", url)


@dataclass(frozen=True, slots=True)
class Settings:
    kafka_bootstrap_servers: str = DEFAULT_KAFKA
    database_url: str = field(default=DEFAULT_DATABASE_URL, repr=False)
    topic_prefix: str = ""
    policy_path: Path | None = None
    trust_path: Path | None = None
    state_dir: Path = Path(DEFAULT_STATE_DIR)

    def __repr__(self) -> str:
        return (
            f"Settings(kafka_bootstrap_servers={self.kafka_bootstrap_servers!r}, "
            f"database_url={mask_url(self.database_url)!r}, topic_prefix={self.topic_prefix!r}, "
            f"policy_path={self.policy_path!r}, trust_path={self.trust_path!r}, "
            f"state_dir={self.state_dir!r})"
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from `environ` (default: os.environ); empty variables count as unset."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        policy, trust = get("CUSTODES_POLICY"), get("CUSTODES_TRUST")
        return cls(
            kafka_bootstrap_servers=get("KAFKA_BOOTSTRAP_SERVERS") or DEFAULT_KAFKA,
            database_url=get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            topic_prefix=get("CUSTODES_TOPIC_PREFIX") or "",
            policy_path=Path(policy) if policy else None,
            trust_path=Path(trust) if trust else None,
            state_dir=Path(get("CUSTODES_STATE_DIR") or DEFAULT_STATE_DIR),
        )

    def _topic(self, name: str) -> str:
        prefix = self.topic_prefix
        if prefix and prefix[-1] not in ".-_":
            prefix += "."  # "staging" → "staging.ebsp.events.v1"
        return prefix + name

    @property
    def events_topic(self) -> str:
        return self._topic(EVENTS_TOPIC)

    @property
    def findings_topic(self) -> str:
        return self._topic(FINDINGS_TOPIC)

    @property
    def quarantine_topic(self) -> str:
        return self._topic(QUARANTINE_TOPIC)
