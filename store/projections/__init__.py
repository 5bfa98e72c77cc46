"""Projection updaters: pure functions from events (and findings) to row deltas.

`Projector.apply(event, deltas)` and `Projector.apply_output(output, deltas)`
fold one input into a `Deltas` accumulator; `store.projections.writer`
turns a batch's accumulated deltas into a handful of SQL statements executed
in the same transaction as the archive rows and consumer positions. No I/O
here, so the updaters are unit-tested without a database.
"""
from store.projections.deltas import Deltas
from store.projections.projector import Projector

__all__ = ["Deltas", "Projector"]
