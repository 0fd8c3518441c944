"""The exported SDL is the API contract: refactoring schema/ must not change a character of it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from schema import build_schema
from settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SDL_ENV = {"ENV": "test", "SECRET_KEY": "sdl-export-" + "x" * 32}


def test_sdl_matches_checked_in_schema() -> None:
    sdl = build_schema(Settings.from_env(SDL_ENV)).as_str() + "\n"
    assert sdl == (ROOT / "schema.graphql").read_text(encoding="utf-8"), (
        "SDL changed: if intended, run `uv run python app.py export-schema` and commit schema.graphql"
    )


def test_export_schema_command_writes_the_sdl(tmp_path: Path) -> None:
    out = tmp_path / "schema.graphql"
    subprocess.run(
        [sys.executable, "app.py", "export-schema", "--output", str(out)],
        cwd=ROOT, env=SDL_ENV, check=True, capture_output=True,
    )
    assert out.read_text(encoding="utf-8") == (ROOT / "schema.graphql").read_text(encoding="utf-8")
