"""Errors a person can act on: each names the file, line or term at fault."""

from __future__ import annotations


class KhasanError(Exception):
    """A problem with the user's input or request. ``exit_code`` is what the CLI returns."""

    exit_code = 2

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class InputError(KhasanError):
    """A file that cannot be read or parsed (exit 2)."""


class UsageError(KhasanError):
    """An unknown query, parameter or term (exit 2)."""


class NotConforming(KhasanError):
    """The graph does not conform to the shapes (exit 1)."""

    exit_code = 1
