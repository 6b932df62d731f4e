"""The shell command textual-serve runs for one browser session's explorer.

textual-serve starts each session with `sh -c COMMAND` in an environment copied from the
server's, plus the variables its web driver needs. The command limits the address space,
then replaces the shell (`exec`, the same process throughout) by, in turn:
- `setsid`: the explorer leads a process group of its own, which the server can end whole,
  and a Ctrl+C meant for the server is not sent to it;
- `setpriv --pdeathsig KILL`: should the server die without ending its sessions (killed,
  crashed), the kernel kills the explorer;
- `env -i`: the explorer starts in the environment of `explorer_env`, made afresh as for an
  SSH session (nothing of the server's, such as a CRISIS_TUI_* variable, reaches it), plus
  textual-serve's variables passed on by name.
setsid and setpriv come with util-linux.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from .explorer import explorer_command, explorer_env

TOOLS = ("setsid", "setpriv")  # on PATH, or no session starts (checked as the server starts)
# Set by textual-serve 1.1.3 (AppService) for the web driver: which driver, its frame rate and
# colours, and the browser terminal's size when the session starts.
TEXTUAL_SERVE_VARS = ("TEXTUAL_DRIVER", "TEXTUAL_FPS", "TEXTUAL_COLOR_SYSTEM", "TERM_PROGRAM",
                      "TERM_PROGRAM_VERSION", "COLUMNS", "ROWS")


def session_command(db: str | Path, state: Path, memory_limit_mb: int, keymap: Path | None = None) -> str:
    """`sh -c` text that runs one web session's explorer on `db`, with its bookmarks and notes in `state`."""
    own = [shlex.quote(f"{name}={value}") for name, value in explorer_env(None).items()]
    passed = [f'{name}="${name}"' for name in TEXTUAL_SERVE_VARS]
    explorer = shlex.join(explorer_command(db, state, "web", keymap))
    return (f"ulimit -v {int(memory_limit_mb) * 1024} && "
            f"exec setsid setpriv --pdeathsig KILL env -i {' '.join(own + passed)} {explorer}")
