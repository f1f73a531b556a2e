"""The errors santegraph raises on purpose; each says what went wrong and where.

The CLI maps them to exit codes (see ``cli.EXIT_CODES``) and the web layer to HTTP
statuses; anything else is a bug and is logged as such.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .validation import ValidationReport


class SantegraphError(Exception):
    """Base class of every expected failure."""


class ConfigError(SantegraphError):
    """A setting is missing or malformed."""


class InputError(SantegraphError):
    """A file or request body cannot be read or parsed (exit code 2)."""

    def __init__(
        self, message: str, *, source: str = "", line: int | None = None, column: int | None = None
    ):
        self.source, self.line, self.column = source, line, column
        where = source
        if line is not None:
            where += f":{line}" + (f":{column}" if column is not None else "")
        super().__init__(f"{where}: {message}" if where else message)
        self.detail = message


class LimitExceeded(InputError):
    """Untrusted input beyond one of the configured bounds (HTTP 413): names the setting.

    ``french`` is the same sentence for the steward pages, which are in French.
    """

    def __init__(
        self,
        message: str,
        *,
        setting: str,
        limit: int | float,
        french: str = "",
        source: str = "",
        line: int | None = None,
        column: int | None = None,
    ):
        super().__init__(message, source=source, line=line, column=column)
        self.setting, self.limit = setting, limit
        self.french = french or message


class ValidationFailed(SantegraphError):
    """The data does not conform to the shapes; nothing was written."""

    def __init__(self, report: ValidationReport, advice: str = ""):
        self.report = report
        self.advice = advice  # what to do, when santegraph knows (e.g. which graph to fix)
        message = f"{report.violation_count} SHACL violation(s); the store was left unchanged"
        super().__init__(f"{message}. {advice}" if advice else message)


class QueryError(SantegraphError):
    """A SPARQL query or update is malformed or failed on the endpoint."""


class StoreError(SantegraphError):
    """The store cannot be opened or the remote endpoint misbehaved."""


class WritesDisabled(SantegraphError):
    """A write was attempted while no steward credential is configured."""


class AuthenticationFailed(SantegraphError):
    """No valid steward credential was given for a write."""
