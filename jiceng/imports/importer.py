"""What an importer provides: one kind of row (``ImportJob.Kind``) read from officers' files.

The engine (``engine.py``) does what every kind shares: it reads the file and its header,
numbers the rows, logs their problems, stages the valid rows in batches and writes them batch
by batch, resumably. An importer says what is particular to its kind: the columns it
recognises and which are required, its natural key, how rows are checked (and against the
records already stored) and how a batch is written. ``kinds.IMPORTERS`` maps each kind to its
importer, as Healthchecks maps a channel's kind to its transport (``hc/api/transports.py``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

if TYPE_CHECKING:
    from .directory import OrgDirectory
    from .models import ImportJob

Problems = list[tuple[str, str]]  # (column, message)
Chunk = list[tuple[int, list[Any]]]  # (row number, cells) of consecutive data rows


class StagedRow(Protocol):
    """A checked row ready to write, as the engine stages it."""

    @property
    def row_number(self) -> int: ...

    @property
    def key(self) -> str: ...  # the natural key: one row per key in a file


R = TypeVar("R", bound=StagedRow)
CheckedRow = tuple[int, R | None, Problems]  # a row ready to write, or its problems


class ProblemSink(Protocol):
    """Where an importer reports what it finds on a row (``engine._ProblemLog``)."""

    def add(
        self, row_number: int, problems: Sequence[tuple[str, str]], level: str = ...
    ) -> None: ...


@dataclass
class BatchOutcome:
    """What writing one batch did; ``refused`` rows are logged as problems of the key's
    column."""

    created: list[int] = field(default_factory=list)
    updated: dict[int, dict[str, list[Any]]] = field(default_factory=dict)  # pk → field diffs
    unchanged: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)  # (row number, message)


class Importer(ABC, Generic[R]):
    """One kind of import. Subclasses set the class attributes and write the four steps."""

    columns: ClassVar[Mapping[str, tuple[str, ...]]]  # field → the headers it goes by
    required: ClassVar[tuple[str, ...]]  # fields a roster of this kind cannot do without
    key_field: ClassVar[str]  # the natural key; a row without it is not a record
    key_name: ClassVar[str]  # how a message names the key (身份证号)

    def required_for(self, job: ImportJob) -> tuple[str, ...]:
        """The required fields of this import (an importer may need fewer for some
        targets)."""
        return self.required

    def sheet_note(self, job: ImportJob, fields: set[str]) -> str:
        """What the officer should know about a sheet read with these ``fields`` (shown in
        the check, before anything is written); empty when nothing."""
        return ""

    @property
    def labels(self) -> dict[str, str]:
        """Each field's usual column name (its first synonym)."""
        return {f: aliases[0] for f, aliases in self.columns.items()}

    @abstractmethod
    def checked(
        self, job: ImportJob, chunks: Iterable[Chunk], orgs: OrgDirectory, *, workers: int
    ) -> Iterator[CheckedRow[R]]:
        """Every data row once, cleaned and prepared to write, or with its problems; the
        valid rows in the order they are to be written. ``workers``: processes the check
        may fork (fewer than 2: check inline)."""

    @abstractmethod
    def look_up(self, job: ImportJob, rows: list[R], log: ProblemSink) -> list[R]:
        """The valid rows of a stretch of the file against the records already stored: the
        rows to stage, the others refused with their problem in ``log``."""

    def all_new(self, rows: list[R]) -> bool:
        """Whether the check found none of ``rows`` stored: the batch may then be written
        without looking again (retried with ``trust_new=False`` if the database refuses)."""
        return False

    @abstractmethod
    def write(self, job: ImportJob, rows: list[R], *, trust_new: bool) -> BatchOutcome:
        """Write one batch of staged rows, with its audit; the engine holds the transaction
        and keeps the job's counters."""
