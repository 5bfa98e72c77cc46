"""The one error the stack commands report to a person: a message saying what to do."""
from __future__ import annotations


class StackError(RuntimeError):
    """A service could not be started, stopped or reached; the message says why and what next."""
