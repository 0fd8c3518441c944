"""README's walk-through script runs the whole story against a real `app.py serve`."""

from __future__ import annotations

import subprocess
import sys

from tests.servers import ROOT, running_servers


def test_walkthrough_script_against_a_real_server(settings):
    with running_servers(settings, 1, shared_redis=False) as (url,):
        done = subprocess.run(
            [sys.executable, "examples/walkthrough.py", "--url", url],
            cwd=ROOT, capture_output=True, text=True, timeout=120,
        )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "SHARE_LINK" in done.stdout and "walk-through complete" in done.stdout


def test_readme_points_to_the_walkthrough_and_has_no_dates_that_expire():
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "examples/walkthrough.py" in readme and (ROOT / "examples" / "walkthrough.py").exists()
    assert not re.findall(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", readme)
    for basic in ("owner000@demo.tablemates.cn", "updateLocation", "connection_init", "PORT="):
        assert basic in readme, basic
