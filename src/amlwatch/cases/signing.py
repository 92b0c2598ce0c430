"""The audit key and the checkpoint file: what lets `audit verify` see a chain rewritten by
someone with the database's rights.

The key (32 random bytes, hex, in a file of mode 0600 or the AMLWATCH_AUDIT_KEY secret) lives
outside the case store: every audit entry's hash is MAC'd with it, so an entry changed and the
chain recomputed no longer verifies. The checkpoint file, also outside the database and only
ever appended to, records the chain's head (sequence number and hash, MAC'd) when the key is
created, after every night and on demand: removing the newest entries and resetting the head
is then seen against the last checkpoint.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

KEY_CREATED = "key-created"
CHECKPOINT = "checkpoint"


def mac(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def create_key(path: Path) -> bytes:
    """A new key in `path` (owner-only); refused if the file exists (a new key would leave
    every entry signed so far unverifiable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(key.hex() + "\n")
    return key


def read_key(path: Path) -> bytes | None:
    """The key in `path`, or None when there is none."""
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        return None
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise ValueError(f"{path}: not an audit key (64 hex digits expected)") from None


@dataclass(frozen=True, slots=True)
class Checkpoint:
    kind: str  # key-created | checkpoint
    at: str
    seq: int
    hash: str
    mac: str
    line: int

    def holds(self, key: bytes) -> bool:
        expected = mac(key, f"{self.kind}|{self.at}|{self.seq}|{self.hash}")
        return hmac.compare_digest(expected, self.mac)

    def text(self) -> str:
        return f"{self.kind}\t{self.at}\t{self.seq}\t{self.hash}\t{self.mac}"


def append_checkpoint(path: Path, key: bytes, seq: int, head: str, kind: str = CHECKPOINT) -> str:
    """Append the chain's head to the checkpoint file (created owner-only); the line."""
    at = dt.datetime.now().isoformat(timespec="seconds")
    line = f"{kind}\t{at}\t{seq}\t{head}\t{mac(key, f'{kind}|{at}|{seq}|{head}')}"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a") as out:
        out.write(line + "\n")
        out.flush()
        os.fsync(out.fileno())
    return line


def read_checkpoints(path: Path) -> tuple[list[Checkpoint], list[str]]:
    """The checkpoints of the file, and the lines that are not checkpoints at all."""
    found: list[Checkpoint] = []
    bad: list[str] = []
    if not path.exists():
        return found, bad
    for number, line in enumerate(path.read_text().splitlines(), 1):
        parts = line.split("\t")
        if len(parts) != 5 or parts[0] not in (KEY_CREATED, CHECKPOINT) or not parts[2].isdigit():
            bad.append(
                f"检查点文件第 {number} 行不是检查点 / checkpoint file line {number} is not a checkpoint"
            )
            continue
        found.append(Checkpoint(parts[0], parts[1], int(parts[2]), parts[3], parts[4], number))
    return found, bad
