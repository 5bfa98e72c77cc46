"""Settings come from the environment once, with the documented defaults and no leaked secret."""
from __future__ import annotations

from pathlib import Path

from custodes.settings import ENV_VARS, Settings
from custodes.stack.layout import TOPICS, stack_env


def test_defaults_point_at_the_local_stack() -> None:
    s = Settings.from_env({})
    assert s.kafka_bootstrap_servers == "127.0.0.1:19092"
    assert s.database_url == "postgresql+psycopg://custodes:custodes@127.0.0.1:15432/custodes"
    assert (s.events_topic, s.findings_topic, s.quarantine_topic) == \
        ("ebsp.events.v1", "ebsp.findings.v1", "ebsp.quarantine.v1")
    assert (s.policy_path, s.trust_path, s.state_dir) == (None, None, Path(".local/state"))


def test_the_stack_creates_the_topics_and_exports_variables_the_settings_use() -> None:
    s = Settings.from_env({})
    assert set(TOPICS) == {s.events_topic, s.findings_topic, s.quarantine_topic}
    assert set(stack_env()) <= set(ENV_VARS)
    assert Settings.from_env(stack_env()) == s


def test_every_variable_is_read() -> None:
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": "k:1", "DATABASE_URL": "postgresql+psycopg://u:pw@db/x",
        "CUSTODES_TOPIC_PREFIX": "test-", "CUSTODES_POLICY": "p.toml",
        "CUSTODES_TRUST": "t.toml", "CUSTODES_STATE_DIR": "/var/lib/custodes",
    }
    assert set(env) == set(ENV_VARS)
    s = Settings.from_env(env)
    assert s == Settings("k:1", "postgresql+psycopg://u:pw@db/x", "test-", Path("p.toml"),
                         Path("t.toml"), Path("/var/lib/custodes"))
    assert s.events_topic == "test-ebsp.events.v1"


def test_a_bare_prefix_gets_a_dot_and_empty_variables_count_as_unset() -> None:
    s = Settings.from_env({"CUSTODES_TOPIC_PREFIX": "staging", "CUSTODES_POLICY": " "})
    assert s.quarantine_topic == "staging.ebsp.quarantine.v1" and s.policy_path is None


def test_the_database_password_never_shows_in_repr() -> None:
    s = Settings.from_env({"DATABASE_URL": "postgresql+psycopg://custodes:s3cret@db:5432/c"})
    assert "s3cret" not in repr(s) and "s3cret" not in str(s)
    assert "custodes:***@db:5432" in repr(s)
