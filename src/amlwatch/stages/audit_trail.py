"""The audit trail's key and checkpoints: making the key (and sealing what exists), a
checkpoint after every night and on demand, and the full verification."""

from __future__ import annotations

from pathlib import Path

from amlwatch import wiring
from amlwatch.cases import seals, signing
from amlwatch.cases.audit import ChainCheck, checkpoint, verify


def init_key(db: Path | None = None, by: str = "system") -> Path:
    """Create the audit key file (refused if there is one), seal every case, case event and
    user as they are, and checkpoint the head: from here on every entry must be signed."""
    settings = wiring.settings()
    if settings.audit_key is not None:
        raise ValueError("AMLWATCH_AUDIT_KEY is set: the key is kept there, not in a file")
    path = wiring.audit_key_path(db, settings)
    if path.exists():
        raise FileExistsError(f"{path}: an audit key exists already (a new one would orphan it)")
    signing.create_key(path)
    store = wiring.case_store(db, settings)
    store.audit_checkpoints = None  # the key-created line comes first, holding the baseline
    try:
        seals.baseline(store, by)
        checkpoint(store, wiring.audit_checkpoints_path(db, settings), signing.KEY_CREATED)
    finally:
        store.close()
    return path


def take_checkpoint(db: Path | None = None) -> str | None:
    """Append the chain's head to the checkpoint file; the line, or None without a key."""
    settings = wiring.settings()
    store = wiring.case_store(db, settings)
    try:
        if store.audit_key is None:
            return None
        return checkpoint(store, wiring.audit_checkpoints_path(db, settings))
    finally:
        store.close()


def check(db: Path | None = None) -> ChainCheck:
    """Entries, links, MACs, every checkpoint and the seals."""
    settings = wiring.settings()
    store = wiring.case_store(db, settings)
    try:
        return verify(store, wiring.audit_checkpoints_path(db, settings))
    finally:
        store.close()
