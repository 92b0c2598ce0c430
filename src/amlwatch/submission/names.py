"""File names of messages, packages, receipts and notices (spec §3.1, §3.2, §7.1, chapter 8)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from amlwatch.submission.exceptions import UnknownFileName

KINDS = {"N": "新增", "C": "修改", "D": "删除"}
REPORTS = {"BH": "银行业大额交易报告", "BS": "银行业可疑交易报告"}
_MESSAGE = re.compile(r"^([NCD])(BH|BS)([0-9A-Z]{14})-(\d{8})-(\d{8})(?:\.(XML|ZIP))?$")
_RECEIPT = re.compile(r"^(FDSC|FDRC|FDCF)\[([^\]]{35})\](\d{14})\.XML$", re.IGNORECASE)
_NOTICE = re.compile(r"^([AS])(BH|BS|BT)([0-9A-Z]{14})-(\d{8})-(\d{8})(?:\.XML)?$")
RECEIPT_KINDS = {"FDSC": "accepted", "FDRC": "correction requested", "FDCF": "error"}


@dataclass(frozen=True, slots=True, order=True)
class MessageName:
    """`NBHC0000000000001-20180701-00000010`: kind, report type, institution, date, number."""

    kind: str  # N | C | D
    report: str  # BH | BS
    institution: str  # 14 characters
    day: dt.date
    number: int

    def __post_init__(self) -> None:
        if self.kind not in KINDS or self.report not in REPORTS:
            raise UnknownFileName(f"no message kind {self.kind}{self.report}")
        if self.report == "BS" and self.kind == "D":
            raise UnknownFileName("suspicious reports have no deletion message (spec §6.5)")
        if not re.fullmatch(r"[0-9A-Z]{14}", self.institution):
            raise UnknownFileName(
                f"the reporting institution code must be 14 letters or digits: {self.institution!r}"
            )
        if not 1 <= self.number <= 99_999_999:
            raise UnknownFileName(f"a daily number runs from 1 to 99999999: {self.number}")

    @property
    def stem(self) -> str:
        """The name without extension (35 characters; what receipts and MIRS quote)."""
        return f"{self.kind}{self.report}{self.institution}-{self.day:%Y%m%d}-{self.number:08d}"

    @property
    def xml(self) -> str:
        return f"{self.stem}.XML"

    @property
    def zip(self) -> str:
        return f"{self.stem}.ZIP"

    @property
    def family(self) -> str:
        """What may share a package: kind and report type (`NBH`)."""
        return f"{self.kind}{self.report}"

    @classmethod
    def parse(cls, name: str) -> MessageName:
        """Read a message or package name (with or without extension)."""
        match = _MESSAGE.match(name.strip().upper().replace("‐", "-"))
        if not match:
            raise UnknownFileName(f"not a message name: {name!r}")
        kind, report, institution, day, number, _ = match.groups()
        return cls(kind, report, institution, _date(day, name), int(number))


@dataclass(frozen=True, slots=True)
class ReceiptName:
    """`FDSC[NBHC0000000000001-20180920-00000001]20180920124530.XML`."""

    kind: str  # FDSC | FDRC | FDCF
    message: MessageName
    landed_at: dt.datetime

    @classmethod
    def parse(cls, name: str) -> ReceiptName:
        match = _RECEIPT.match(name.strip().replace("‐", "-"))
        if not match:
            raise UnknownFileName(f"not a receipt name: {name!r}")
        kind, stem, landed = match.groups()
        try:
            landed_at = dt.datetime.strptime(landed, "%Y%m%d%H%M%S")
        except ValueError as error:
            raise UnknownFileName(f"bad landing time in {name!r}") from error
        return cls(kind.upper(), MessageName.parse(stem), landed_at)


@dataclass(frozen=True, slots=True)
class NoticeName:
    """`ABHC0000000000001-20180922-00000010`: a correction (A) or supplement (S) notice."""

    kind: str  # A | S
    report: str  # BH | BS | BT
    institution: str
    day: dt.date
    number: int

    @property
    def stem(self) -> str:
        return f"{self.kind}{self.report}{self.institution}-{self.day:%Y%m%d}-{self.number:08d}"

    @classmethod
    def parse(cls, name: str) -> NoticeName:
        match = _NOTICE.match(name.strip().upper().replace("‐", "-"))
        if not match:
            raise UnknownFileName(f"not a notice name: {name!r}")
        kind, report, institution, day, number = match.groups()
        if (kind == "S") != (report == "BT"):
            raise UnknownFileName(f"{name!r}: corrections are A+BH/BS, supplements S+BT")
        return cls(kind, report, institution, _date(day, name), int(number))


def _date(text: str, name: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError as error:
        raise UnknownFileName(f"bad date in {name!r}") from error
