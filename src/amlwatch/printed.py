"""A printed report form as data: what the PDF and the xlsx of a filing both show.

The submission layer builds a `PrintedForm` from the very message content it writes as XML
(`amlwatch.submission.printed_forms`); the report writers render it (`amlwatch.reports.forms`)
without knowing the spec. Every value is already the text people read: a code beside its
Chinese label, money with thousands separators, times in Beijing time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class FormField:
    """One field: its XML tag, its Chinese name and the printed value ("" for @N)."""

    tag: str
    name: str
    text: str
    amount: Decimal | None = None  # the number behind a money text (the xlsx keeps numbers)
    wide: bool = False  # long text (the narrative): a block of its own


@dataclass(frozen=True, slots=True)
class Column:
    """A column of the printed table: a heading over one or more stacked fields."""

    heading: str
    tags: tuple[str, ...]  # keys of `FormRow.fields`
    width: int = 10  # relative width (mm in the PDF, characters in the xlsx)


@dataclass(frozen=True, slots=True)
class FormRow:
    """One row of the table (a transaction): its fields by key."""

    fields: dict[str, FormField]


@dataclass(frozen=True, slots=True)
class RowGroup:
    """Rows under a heading of their own (a large-value customer-day); the heading's fields
    print once above its rows."""

    heading: list[FormField]
    rows: list[FormRow]


@dataclass(frozen=True, slots=True)
class Section:
    """A block of label/value pairs (report basics, one subject)."""

    title: str
    fields: list[FormField]


@dataclass(frozen=True, slots=True)
class SummaryTable:
    """A table of figures (the work report's): a header line and rows of printed cells."""

    title: str
    headers: list[str]
    rows: list[list[str]]
    note: str = ""


@dataclass(frozen=True, slots=True)
class SignLine:
    """A line of the sign-off block: who did what and when; blank ones are signed by hand."""

    role: str  # 填报人 / 复核人 / 审批人 / 总会计
    name: str = ""
    username: str = ""
    on: dt.date | None = None
    note: str = ""


@dataclass(slots=True)
class PrintedForm:
    """A whole form: title and header, sections, the table, the sign-off block."""

    title: str
    institution: str  # name and code
    outlet: str  # the reporting outlet
    period: str  # what the form covers (trade dates, the case's window)
    report_date: dt.date
    reference: str  # the message files it belongs to
    sections: list[Section] = field(default_factory=list)
    table_title: str = ""
    columns: list[Column] = field(default_factory=list)
    groups: list[RowGroup] = field(default_factory=list)
    tables: list[SummaryTable] = field(default_factory=list)
    signoff: list[SignLine] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    landscape: bool = True
    draft: bool = False  # 草稿: printed across every page, not for filing
    summary: SummaryTable | None = None  # the table's totals (printed instead of a long table)

    @property
    def rows(self) -> list[FormRow]:
        return [row for group in self.groups for row in group.rows]
