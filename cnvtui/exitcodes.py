"""The exit codes of every cnvtui command, in one table: scripts branch on them.

They are an interface (documented in `docs/exit-codes.md`, which a test keeps in step with
`COMMAND_CODES`): add new ones, never renumber. This module imports nothing from cnvtui, so
every layer and every command may use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum

__all__ = [
    "COMMAND_CODES",
    "ExitCode",
    "StatusFailure",
    "describe_exit_codes",
    "exit_code_texts",
]


class ExitCode(IntEnum):
    """What a cnvtui command exits with (not every command uses every code)."""

    OK = 0
    """Done: the status was printed or the condition reached, no blocker, the user quit."""
    ERROR = 1
    """Something unexpected went wrong inside cnvtui (a bug; the message says what), or the
    simulated cluster could not start (`sim`, `demo`)."""
    USAGE = 2
    """The options make no sense together or a value is malformed (argparse's code too)."""
    UNREACHABLE = 3
    """The API server did not answer, or not usably (refused, DNS, TLS, timed out)."""
    CONFIG = 4
    """No usable kubeconfig: none found, unknown context, unreadable credentials."""
    UNAUTHORIZED = 5
    """The API server rejected the credentials (expired token: log in again)."""
    FORBIDDEN = 6
    """The user may not read what the command needs."""
    TIMEOUT = 7
    """`status --wait-for`: --timeout passed before the condition was reached."""
    FAILED = 8
    """`status --wait-for`: the update failed (Degraded or Stuck beyond --grace), or there is
    no OpenShift Virtualization to wait for."""
    RECORDING = 9
    """A recording could not be read (replay) or written (--record)."""
    INTERRUPTED = 130
    """Stopped by Ctrl-C (or SIGTERM, for `status`)."""


class StatusFailure(Exception):
    """Ends a headless command with `code` and one line on stderr."""

    def __init__(self, message: str, code: ExitCode) -> None:
        super().__init__(message)
        self.code = code


_C = ExitCode
_ACCESS = (_C.UNREACHABLE, _C.CONFIG, _C.UNAUTHORIZED, _C.FORBIDDEN)

COMMAND_CODES: Mapping[str, tuple[ExitCode, ...]] = {
    "cnvtui": (_C.OK, _C.ERROR, _C.USAGE, *_ACCESS, _C.RECORDING, _C.INTERRUPTED),
    "demo": (_C.OK, _C.ERROR, _C.USAGE, _C.INTERRUPTED),
    "replay": (_C.OK, _C.ERROR, _C.USAGE, _C.RECORDING, _C.INTERRUPTED),
    "status": tuple(ExitCode),
    "preflight": (_C.OK, _C.ERROR, _C.USAGE, _C.INTERRUPTED),
    "sim": (_C.OK, _C.ERROR, _C.USAGE, _C.RECORDING, _C.INTERRUPTED),
}
"""Which codes each command can return ("cnvtui" is the dashboard).

`preflight` keeps the codes of a checking tool (as `grep` and `diff` do): 1 means it found
blockers and 2 that it could not check, whatever the reason; the reason is on stderr and in
the JSON's `error`."""

_TEXT: Mapping[ExitCode, str] = {
    _C.OK: "ok",
    _C.ERROR: "unexpected internal error",
    _C.USAGE: "bad options",
    _C.UNREACHABLE: "the API server did not answer",
    _C.CONFIG: "no usable kubeconfig or context",
    _C.UNAUTHORIZED: "credentials rejected or expired (log in again)",
    _C.FORBIDDEN: "not allowed to read what the command needs",
    _C.TIMEOUT: "--timeout passed before the condition was reached",
    _C.FAILED: "the update failed (Degraded/Stuck), or no CNV to wait for",
    _C.RECORDING: "a recording could not be read or written",
    _C.INTERRUPTED: "interrupted (Ctrl-C)",
}

_COMMAND_TEXT: Mapping[str, Mapping[ExitCode, str]] = {
    "cnvtui": {_C.OK: "quit", _C.FORBIDDEN: "may not list the HyperConverged in --namespace"},
    "demo": {_C.OK: "quit", _C.ERROR: "the simulated cluster could not start (or a bug)"},
    "replay": {_C.OK: "quit", _C.RECORDING: "the recording could not be read"},
    "status": {
        _C.OK: "printed, or the condition was reached",
        _C.FORBIDDEN: "not allowed to read what the status needs",
        _C.INTERRUPTED: "interrupted (Ctrl-C, SIGTERM)",
    },
    "preflight": {
        _C.OK: "no blocker found",
        _C.ERROR: "blockers found: do not start the update",
        _C.USAGE: "could not check, or not completely (the reason is printed), or bad options",
    },
    "sim": {
        _C.OK: "stopped (Ctrl-C, SIGTERM)",
        _C.ERROR: "could not start (port in use, or a bug)",
        _C.RECORDING: "--from could not be read (no recording or kubectl dump there)",
        _C.INTERRUPTED: "interrupted (Ctrl-C) while starting",
    },
}


def exit_code_texts(command: str) -> list[tuple[ExitCode, str]]:
    """(code, one-line meaning) for every code `command` can return, in numeric order."""
    special = _COMMAND_TEXT.get(command, {})
    return [(code, special.get(code, _TEXT[code])) for code in COMMAND_CODES[command]]


def describe_exit_codes(command: str = "status") -> str:
    """The exit codes of `command` as an argparse epilog (one per line)."""
    lines = [f"  {code.value:>3}  {text}" for code, text in exit_code_texts(command)]
    return "exit codes (all commands: docs/exit-codes.md):\n" + "\n".join(lines)
