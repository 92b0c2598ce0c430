"""A case's investigation notes and their attached files (a liaison's enquiries, the branch's
answer, a scanned document). Files are kept in the case store with their SHA-256, only of the
types a report's attachment package may carry (spec §3: Word, Excel, pictures, video; PDF and
text as well), and recognised by their content, not only their name."""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, func, insert, select

from amlwatch.cases.exceptions import InvalidInput, NotFound
from amlwatch.cases.tables import case_notes

MAX_FILE_BYTES = 20 * 1024 * 1024
# a report's files travel with its XML in one data package of at most 5 MB (spec §3.2):
# what a case sends is kept under this, the rest of the 5 MB is the message's own
MAX_REPORT_FILES_BYTES = 4_000_000
NOT_FOR_REPORT = {"txt"}  # a note's text is the note: a report carries documents
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# extension → (label, the content's first bytes it must have; None: UTF-8 text)
FILE_TYPES: dict[str, tuple[str, tuple[bytes, ...] | None]] = {
    "pdf": ("PDF 文档", (b"%PDF-",)),
    "png": ("PNG 图片", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("JPEG 图片", (b"\xff\xd8\xff",)),
    "jpeg": ("JPEG 图片", (b"\xff\xd8\xff",)),
    "tif": ("TIFF 扫描件", (b"II*\x00", b"MM\x00*")),
    "tiff": ("TIFF 扫描件", (b"II*\x00", b"MM\x00*")),
    "docx": ("Word 文档", (b"PK\x03\x04",)),
    "xlsx": ("Excel 表格", (b"PK\x03\x04",)),
    "doc": ("Word 文档（97–2003）", (_OLE,)),
    "xls": ("Excel 表格（97–2003）", (_OLE,)),
    "mp4": ("MP4 视频", ()),  # `ftyp` at byte 4
    "txt": ("文本", None),
}


@dataclass(frozen=True, slots=True)
class Note:
    """One note as a page lists it (the file's bytes are read only for a download)."""

    id: int
    case_id: int
    at: dt.datetime
    username: str
    text: str
    file_name: str | None
    file_type: str | None
    file_size: int | None
    file_sha256: str | None
    for_report: bool = False
    report_round: int = 0


def checked_file(name: str, data: bytes) -> tuple[str, str]:
    """(clean file name, type) of an upload, or `InvalidInput` saying what is wrong."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    clean = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()[:200]
    kind = clean.rsplit(".", 1)[-1].lower() if "." in clean else ""
    if kind not in FILE_TYPES:
        allowed = "、".join(sorted(FILE_TYPES))
        raise InvalidInput(f"附件类型不允许（可上传：{allowed}）/ file type not allowed")
    if not data:
        raise InvalidInput("附件为空 / the file is empty")
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput(f"附件超过 {MAX_FILE_BYTES // 1024 // 1024} MB / file too large")
    heads = FILE_TYPES[kind][1]
    if heads is None:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput("文本附件须为 UTF-8 编码 / text must be UTF-8") from None
        ok = "\x00" not in text
    elif kind == "mp4":
        ok = data[4:8] == b"ftyp"
    else:
        ok = data.startswith(heads)
    if not ok:
        raise InvalidInput(f"附件内容与类型 .{kind} 不符 / the content is not a .{kind} file")
    return clean, kind


def add(
    con: Connection,
    case_id: int,
    username: str,
    text: str,
    file: tuple[str, bytes] | None,
    for_report: bool = False,
    report_round: int = 0,
) -> tuple[int, str | None]:
    """Store a note (and its file, `for_report`: to go with the case's report of
    `report_round`, the number of reports made before it); returns its id and the file's
    SHA-256."""
    values: dict[str, object] = {}
    sha = None
    if for_report and file is None:
        raise InvalidInput("随报告报送须选择附件 / choose the file to send with the report")
    if file is not None:
        name, kind = checked_file(*file)
        if for_report:
            _fits_report(con, case_id, report_round, kind, len(file[1]))
        sha = hashlib.sha256(file[1]).hexdigest()
        values = {
            "file_name": name,
            "file_type": kind,
            "file_size": len(file[1]),
            "file_sha256": sha,
            "file_data": file[1],
            "for_report": for_report,
            "report_round": report_round,
        }
    inserted = con.execute(
        insert(case_notes).values(
            case_id=case_id, at=dt.datetime.now(), username=username, text=text, **values
        )
    )
    return int(inserted.inserted_primary_key[0]), sha  # type: ignore[index]


_LISTED = [c for c in case_notes.c if c.name != "file_data"]


def of_case(con: Connection, case_id: int) -> list[Note]:
    rows = con.execute(
        select(*_LISTED).where(case_notes.c.case_id == case_id).order_by(case_notes.c.id)
    )
    return [Note(**r._asdict()) for r in rows]


def _fits_report(con: Connection, case_id: int, report_round: int, kind: str, size: int) -> None:
    if kind in NOT_FOR_REPORT:
        raise InvalidInput(
            f".{kind} 文件不随报告报送（附件包收 Word、Excel、图片、视频与 PDF）"
            " / this type does not go into a report"
        )
    sent = con.execute(
        select(func.coalesce(func.sum(case_notes.c.file_size), 0)).where(
            *_of_round(case_id, report_round)
        )
    ).scalar_one()
    if int(sent) + size > MAX_REPORT_FILES_BYTES:
        raise InvalidInput(
            f"随报告报送的附件合计不得超过 {MAX_REPORT_FILES_BYTES / 1e6:.0f} MB（报送数据包"
            f"限 5 MB；已有 {int(sent) / 1e6:.1f} MB）/ the report's files would be too large"
        )


def _of_round(case_id: int, report_round: int) -> tuple[ColumnElement[bool], ...]:
    c = case_notes.c
    return (c.case_id == case_id, c.for_report, c.report_round == report_round)


def report_files(con: Connection, case_id: int, report_round: int) -> list[tuple[str, bytes]]:
    """The files that go with a case's report of `report_round` (0: its first), as its
    attachment package names them (the note's number first, so two files of one name stay
    apart), each checked against its hash."""
    rows = con.execute(
        select(case_notes.c.id).where(*_of_round(case_id, report_round)).order_by(case_notes.c.id)
    )
    found = []
    for (note_id,) in rows.all():
        note, data = file_of(con, case_id, int(note_id))
        found.append((f"{note.id:04d}_{note.file_name}", data))
    return found


def file_of(con: Connection, case_id: int, note_id: int) -> tuple[Note, bytes]:
    """A note's file; the same answer for another case's note as for none."""
    row = con.execute(
        select(case_notes).where(case_notes.c.id == note_id, case_notes.c.case_id == case_id)
    ).first()
    if row is None or row.file_data is None:
        raise NotFound("无此附件 / no such file")
    values = row._asdict()
    data = bytes(values.pop("file_data"))
    if hashlib.sha256(data).hexdigest() != row.file_sha256:
        raise InvalidInput("附件与登记的哈希不符，已拒绝下载 / the file does not match its hash")
    return Note(**values), data
