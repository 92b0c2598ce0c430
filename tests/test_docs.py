"""The documentation stays true to the code: the CLI and settings references are generated
from it and current, every setting is in `.env.example`, the README stays a front page, and
the docs' relative links lead somewhere."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from amlwatch.settings import Settings

ROOT = Path(__file__).parents[1]


def test_the_cli_and_settings_references_are_current() -> None:
    check = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_reference.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stderr


def test_every_setting_is_in_the_example_env_file() -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    missing = [n for n in Settings.model_fields if f"AMLWATCH_{n.upper()}=" not in example]
    assert missing == []


def test_the_readme_is_a_front_page() -> None:
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 150


def test_relative_links_in_the_docs_lead_to_files() -> None:
    broken = []
    for page in [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *(ROOT / "docs").rglob("*.md")]:
        for target in re.findall(r"\]\(([^)#:\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(ROOT)} -> {target}")
    assert broken == []


def test_the_demo_names_the_sample_bank_and_its_branches() -> None:
    """`make demo` writes the sample bank's settings: its name and every branch's name."""
    import csv
    import tomllib

    env = (ROOT / "data_samples" / "demo.env").read_text(encoding="utf-8")
    assert "AMLWATCH_INSTITUTION_NAME=" in env and "请设置" not in env
    names = tomllib.loads((ROOT / "data_samples" / "branches.toml").read_text())["names"]
    branches = set()
    for folder in sorted((ROOT / "data_samples" / "inbox").iterdir()):
        if not (folder / "customers.csv").exists():
            continue
        with (folder / "customers.csv").open(encoding="utf-8-sig") as handle:
            branches |= {r["branch_code"] for r in csv.DictReader(handle) if r["branch_code"]}
    assert branches and branches <= set(names)
    assert "cp data_samples/demo.env .env" in (ROOT / "Makefile").read_text()
