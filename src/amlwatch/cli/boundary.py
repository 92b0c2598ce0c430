"""The error boundary of every command: whatever goes wrong ends in one line on stderr and
exit 2, never a traceback.

A domain or environment error (bad input, a missing folder, a locked or unusable warehouse,
an unknown rule pack or year, a full disk) is told as it is, with what to do, in Chinese and
English. Anything else is a bug: its traceback goes to the log file (`AMLWATCH_LOG_FILE`) and
the line says where. Library warnings and "Exception ignored" traces go to the log too; the
console keeps what a person acts on. Every line is masked (no full account or ID number).
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import warnings
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

from amlwatch import wiring
from amlwatch.masking import mask_text

log = logging.getLogger("amlwatch.cli")

# (error class name, what to do) — matched along the error's class hierarchy, by name, so that
# this module needs no import of the layers whose errors it tells
_HINTS: tuple[tuple[str, str], ...] = (
    (
        "InboxMissing",
        "检查收件目录与营业日 / check the inbox (--inbox, AMLWATCH_INBOX) and the date",
    ),
    (
        "FileRejected",
        "修正或重新导出该文件后重跑该日 / fix or export the file again, then re-run the date",
    ),
    (
        "WarehouseLocked",
        "另一进程正在使用仓库，稍后重试 / another process holds the warehouse: try later",
    ),
    (
        "WarehouseUnavailable",
        "检查仓库文件（--db）、目录权限与磁盘空间 / check the warehouse file (--db), folder "
        "permissions and free disk space",
    ),
    ("CalendarUnknown", ""),  # its message says what to do
    (
        "UnknownRulePack",
        "检查规则包名称（amlwatch packs）/ check the rule pack name (amlwatch packs)",
    ),
    ("RulesError", "检查规则包与日历配置 / check the rule pack and the calendar settings"),
    ("CaseStoreLocked", "案件库正忙，稍后重试 / the case store is busy: try again later"),
    ("CaseStoreError", "检查案件库（AMLWATCH_CASE_DB）/ check the case store (AMLWATCH_CASE_DB)"),
    ("CaseError", ""),
    ("SubmissionError", ""),
    ("IngestError", ""),
    ("WarehouseError", ""),
    (
        "PermissionError",
        "检查该路径的权限 / check the permissions of that path",
    ),
    ("FileNotFoundError", "检查路径是否存在 / check that the path exists"),
    ("NotADirectoryError", "该路径应为目录 / that path must be a folder"),
    ("IsADirectoryError", "该路径应为文件 / that path must be a file"),
    ("OSError", "检查路径、权限与磁盘空间 / check the path, permissions and free disk space"),
    ("BadParameter", ""),
    ("ValueError", ""),  # the product's own "this input is wrong"
)
_NO_SPACE = 28  # errno ENOSPC


def log_path() -> Path:
    """The log file of the commands."""
    return Path(wiring.settings().log_file).resolve()


class LogFile(logging.FileHandler):
    """The commands' log: everything at INFO and above, tracebacks included."""


class _Masked(logging.Formatter):
    """Log lines masked like every other output (no full account or ID number)."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_text(super().format(record))


def setup_logging(verbose: bool = False) -> None:
    """Send the logs (ours, Prefect's, warnings, unraisable exceptions) to the log file, and
    to the console only when asked (`--verbose`). Idempotent: one handler per path."""
    root = logging.getLogger()
    path = log_path()
    for handler in list(root.handlers):
        if isinstance(handler, LogFile):
            if Path(handler.baseFilename) == path:
                break
            root.removeHandler(handler)
            handler.close()
    else:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handler = LogFile(path, encoding="utf-8", delay=True)
        except OSError:
            handler = None
        if handler is not None:
            handler.setFormatter(_Masked("%(asctime)s %(levelname)s %(name)s: %(message)s"))
            root.addHandler(handler)
    for chatty in ("httpx", "httpcore"):  # every request to Prefect's local API server
        logging.getLogger(chatty).setLevel(logging.WARNING)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    if verbose and not any(type(h) is logging.StreamHandler for h in root.handlers):
        console = logging.StreamHandler(sys.stderr)
        console.setFormatter(_Masked("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(console)
    logging.captureWarnings(True)
    warnings.simplefilter("default")
    sys.unraisablehook = _unraisable


def quiet_shutdown() -> None:
    """What native libraries print on stderr while the interpreter shuts down — nanobind's
    "leaked" reports of objects a failed night's traceback kept alive — goes to the log file,
    never the console: registered first, this runs after every other exit handler, once the
    command has said all it had to say."""

    def to_log() -> None:
        try:
            sys.stderr.flush()
            fd = os.open(log_path(), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            os.dup2(fd, 2)
            os.close(fd)
        except (OSError, ValueError):
            pass  # no log file: the console keeps it

    atexit.register(to_log)


def _unraisable(unraisable: Any) -> None:
    """An exception Python could not raise (a library callback's): to the log, not stderr."""
    log.warning(
        "exception ignored in %r: %s",
        unraisable.object,
        unraisable.exc_value,
        exc_info=(unraisable.exc_type, unraisable.exc_value, unraisable.exc_traceback),
    )


def explain(error: BaseException) -> str:
    """The one line an error ends a command with (masked)."""
    names = [cls.__name__ for cls in type(error).__mro__]
    text = " ".join(str(error).split()) or type(error).__name__
    if isinstance(error, OSError) and error.errno == _NO_SPACE:
        return mask_text(f"{text} — 磁盘已满，清理后重跑 / the disk is full: free space and re-run")
    for name, hint in _HINTS:
        if name in names:
            log.info("%s", text, exc_info=error)  # the log keeps every traceback
            return mask_text(f"{text} — {hint}" if hint else text)
    log.error("unexpected error", exc_info=error)
    return mask_text(
        f"内部错误 internal error ({type(error).__name__}: {text}); "
        f"详情见日志 / the traceback is in {log_path()}"
    )


def _known_cause(error: BaseException) -> BaseException:
    """The error to tell: a library's wrapper of one of ours (a flow's) is told by ours."""
    seen = error
    while seen.__cause__ is not None and type(seen).__module__.startswith(("prefect", "anyio")):
        seen = seen.__cause__
    return seen


# how a command ends on purpose (its exit code, a usage error click tells itself)
_PASSING = (typer.Exit, typer.Abort, typer.TyperException)  # typer's own: usage errors, --help


def end(error: BaseException) -> None:
    """Tell the error on one line, forget its traceback (its frames hold the warehouse's
    objects, which would otherwise outlive the interpreter's shutdown), exit 2."""
    from amlwatch.cli.common import err

    if isinstance(error, _PASSING):
        raise error
    line = explain(_known_cause(error))
    log.info("failed: %s", line)
    seen: BaseException | None = error
    while seen is not None:
        seen.__traceback__ = None
        seen = seen.__cause__ or seen.__context__
    err.print(f"[bold red]失败 failed:[/] {_escape(line)}", soft_wrap=True, highlight=False)
    raise typer.Exit(code=2)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


class Boundary(TyperGroup):
    """The CLI's command group: every command runs inside the boundary."""

    def invoke(self, ctx: Any) -> Any:  # typer's vendored click Context
        try:
            return super().invoke(ctx)
        except _PASSING:
            raise
        except KeyboardInterrupt:
            from amlwatch.cli.common import err

            err.print("中断 interrupted")
            raise typer.Exit(code=130) from None
        except Exception as error:  # the boundary: nothing gets past as a traceback
            end(error)
