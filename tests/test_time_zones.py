"""Restaurant time zones load without the machine's zoneinfo database (minimal containers and
Windows have none): the `tzdata` package is a dependency, and zoneinfo falls back to it."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.servers import ROOT

CHECK = (
    "from zoneinfo import ZoneInfo, TZPATH; assert TZPATH == (), TZPATH; "
    "import core.alipay; from datetime import datetime, UTC; "
    "print(datetime(2026, 12, 5, 12, tzinfo=UTC).astimezone(ZoneInfo('Asia/Shanghai')).hour)"
)


def test_zones_load_with_no_system_zoneinfo():
    env = {**os.environ, "PYTHONTZPATH": ""}  # no system database: the tzdata package only
    done = subprocess.run([sys.executable, "-c", CHECK], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "20"
