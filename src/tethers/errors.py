"""Domain errors. Every error tethers raises on bad input derives from :class:`TethersError`.

The CLI turns a ``TethersError`` into one line on stderr and a non-zero exit code; ``--debug``
shows the traceback.
"""

from __future__ import annotations


class TethersError(Exception):
    """Base class for all errors caused by input, data or configuration (not by bugs)."""


class SourceFormatError(TethersError):
    """A file does not match its publisher's format.

    The message names the source, the file, the row (1-based line in the file, header = line 1,
    or the 1-based row of a spreadsheet) and the column as the publisher spells it.
    """

    def __init__(self, source: str, file: str, reason: str, *, row: int | None = None,
                 column: str | None = None) -> None:
        self.source, self.file, self.row, self.column, self.reason = source, file, row, column, reason
        where = file
        if row is not None:
            where += f" row {row}"
        if column is not None:
            where += f" column '{column}'"
        super().__init__(f"{source}: {where}: {reason}")


class UnknownCountryError(TethersError):
    """A country name or code could not be resolved to an ISO3 code."""


class UnknownSourceError(TethersError):
    """No loader is registered under that source id."""


class SchemaError(TethersError):
    """The atlas on disk has another schema version, or a table breaks the canonical schema."""


class AtlasMissingError(TethersError):
    """No atlas exists at the path; build one first."""


class AtlasBusyError(TethersError):
    """Another process holds the atlas for writing (a build or ingest is running)."""


class DataNotAvailableError(TethersError):
    """The atlas has no data for the requested country, year or table."""


class FetchError(TethersError):
    """A download failed or did not match its checksum."""


class OptionError(TethersError, ValueError):
    """An option has a value outside its allowed set (the message lists the allowed values)."""
