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
