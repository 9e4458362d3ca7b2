"""Run the real `bot` command as someone who is bound by file permissions.

The suite usually runs as root, and root reads and writes everything, so permission
problems need a process that is not all-powerful:

* :func:`as_user` - another uid and gid (no supplementary groups), e.g. the image's user
  10001 or an OpenShift-style arbitrary uid in group 0. It keeps CAP_DAC_READ_SEARCH so it
  can still load the interpreter (which may live under a private /root), but it may write
  only where its uid or gid may.
* :func:`without_dac` - still uid 0, but without the capabilities that let root ignore
  permission bits, so a file of mode 0000 is unreadable even to its owner, root.

When the suite does not run as root, plain ``chmod`` already binds it: both return no
prefix (and :func:`as_user` skips, since only root may change its uid).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from tests.e2e.cli_helpers import ROOT

DROP_DAC = "-dac_override,-dac_read_search"


@cache
def _setpriv() -> str | None:
    exe = shutil.which("setpriv")
    if exe is None:
        return None
    probe = subprocess.run([exe, "--reuid=10001", "--regid=10001", "--clear-groups",
                            "--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search",
                            sys.executable, "-c", "pass"], capture_output=True, timeout=30)
    return exe if probe.returncode == 0 else None


def as_user(uid: int, gid: int) -> list[str]:
    if os.geteuid() != 0:
        pytest.skip("running as another uid needs root (the suite runs as an ordinary user)")
    setpriv = _setpriv()
    if setpriv is None:
        pytest.skip("setpriv (util-linux) with ambient capabilities is needed to run as "
                    "another uid here")
    return [setpriv, f"--reuid={uid}", f"--regid={gid}", "--clear-groups",
            "--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search"]


def without_dac() -> list[str]:
    if os.geteuid() != 0:
        return []
    setpriv = _setpriv()
    if setpriv is None:
        pytest.skip("setpriv (util-linux) is needed to drop root's permission override")
    return [setpriv, f"--inh-caps={DROP_DAC}", f"--bounding-set={DROP_DAC}"]


def run_bot(prefix: list[str], *args: str, cwd: Path, env: dict[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    full.update(PYTHONPATH=str(ROOT), BOT_SECRETS_DIRS="/nonexistent-secrets", COLUMNS="120",
                PYTHONDONTWRITEBYTECODE="1", HOME=str(cwd))
    full.update(env or {})
    return subprocess.run([*prefix, sys.executable, "-m", "bot", *args], cwd=cwd, env=full,
                          capture_output=True, text=True, timeout=timeout)
