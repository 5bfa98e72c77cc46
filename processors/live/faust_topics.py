"""The Faust topic the processor consumes: the node events, as raw bytes.

Raw (de)serializers: the pipeline decodes, and a message that is not even
JSON must reach it untouched (§7: quarantined with its original bytes), so
Faust never gets a chance to reject or drop it.
"""
from __future__ import annotations

from typing import Any

import faust


def events_topic(app: faust.App, name: str, partitions: int) -> Any:
    return app.topic(name, key_serializer="raw", value_serializer="raw",
                     partitions=partitions, internal=False)
