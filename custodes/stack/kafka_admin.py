"""Client-side checks on a broker: does it answer, and do our topics exist."""
from __future__ import annotations

from kafka.admin import KafkaAdminClient
from kafka.errors import KafkaError, TopicAlreadyExistsError


def _admin(bootstrap: str, timeout_s: float) -> KafkaAdminClient:
    ms = int(timeout_s * 1000)
    return KafkaAdminClient(
        bootstrap_servers=bootstrap,
        client_id="custodes-stack",
        bootstrap_timeout_ms=ms,
        request_timeout_ms=ms,
    )


def kafka_answers(bootstrap: str, timeout_s: float = 3.0) -> bool:
    """True when a broker at `bootstrap` answers an admin call (list topics)."""
    try:
        admin = _admin(bootstrap, timeout_s)
    except (KafkaError, OSError):
        return False
    try:
        admin.list_topics()
        return True
    except (KafkaError, OSError):
        return False
    finally:
        admin.close()


def ensure_topics(bootstrap: str, topics: dict[str, int], timeout_s: float = 30.0) -> list[str]:
    """Create the missing topics (replication factor 1); return the names created."""
    admin = _admin(bootstrap, timeout_s)
    try:
        missing = [name for name in topics if name not in set(admin.list_topics())]
        if not missing:
            return []
        new = {name: {"num_partitions": topics[name], "replication_factor": 1} for name in missing}
        try:
            admin.create_topics(new, timeout_ms=int(timeout_s * 1000), wait_for_metadata=True)
        except TopicAlreadyExistsError:  # created meanwhile by someone else: fine
            pass
        return missing
    finally:
        admin.close()
