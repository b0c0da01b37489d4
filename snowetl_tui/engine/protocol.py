"""The engine's wire protocol: versioned JSON lines over a Unix socket.

One JSON object per line, UTF-8, every message carries ``"v"`` (the protocol version).

Client → engine::

    {"v":1,"op":"hello","subscribe":true}            → a snapshot, then deltas (if subscribed)
    {"v":1,"op":"<command>","id":"<request id>",...}  → {"v":1,"type":"reply","id":...}

Engine → client::

    {"v":1,"type":"snapshot","seq":N,"engine":{...},"jobs":[job, ...]}
    {"v":1,"type":"job","seq":N+1,"job":{...}}       (ordered; one seq per delta, engine-wide)
    {"v":1,"type":"reply","id":"r1","ok":true,"data":...}
    {"v":1,"type":"reply","id":"r1","ok":false,"error":"one line","code":2}

Deltas carry the whole job, so a client never merges partial updates; progress deltas are
coalesced (at most :data:`PROGRESS_HZ` per job per second) while state changes are always sent.
A client that sees ``seq`` jump (it was too slow and the engine dropped deltas for it) sends
``hello`` again and replaces its state with the new snapshot. Plain JSON lines keep the
protocol usable from ``socat`` and from any language.
"""

from __future__ import annotations

import json
from typing import Any

from snowetl_tui.errors import SnowetlError

VERSION = 1
PROGRESS_HZ = 4.0
MAX_LINE = 1 << 20  # a request or a snapshot line; 1 MB is ample, bounds a broken peer

COMMANDS = frozenset({
    "hello", "submit", "cancel", "retry", "pause", "resume", "set_priority", "shutdown",
    "get", "list", "delete_period", "status",
})


class ProtocolError(SnowetlError):
    """A line that is not a valid message of this protocol version."""


def encode(msg: dict[str, Any]) -> bytes:
    """One message → one line (``v`` added when missing)."""
    if "v" not in msg:
        msg = {"v": VERSION, **msg}
    return json.dumps(msg, ensure_ascii=False, separators=(",", ":"), default=str).encode() + b"\n"


def decode(line: bytes | str) -> dict[str, Any]:
    """One line → one message, or :class:`ProtocolError` saying what is wrong with it."""
    if isinstance(line, bytes):
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProtocolError(f"not UTF-8: {exc}") from None
    line = line.strip()
    if not line:
        raise ProtocolError("empty line")
    try:
        msg = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ProtocolError(f"not JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(msg, dict):
        raise ProtocolError("a message must be a JSON object")
    v = msg.get("v")
    if v != VERSION:
        raise ProtocolError(f"protocol version {v!r} is not supported (this engine speaks "
                            f"{VERSION}); use the same snowetl-tui version for engine and client")
    return msg


def check_request(msg: dict[str, Any]) -> str:
    """The op of a client message, validated."""
    op = msg.get("op")
    if not isinstance(op, str) or op not in COMMANDS:
        raise ProtocolError(f"unknown op {op!r}; known: {', '.join(sorted(COMMANDS))}")
    if op != "hello" and not isinstance(msg.get("id"), str | int):
        raise ProtocolError(f"op {op!r} needs a request \"id\"")
    return op


def reply(req_id: Any, data: Any = None) -> dict[str, Any]:
    return {"v": VERSION, "type": "reply", "id": req_id, "ok": True, "data": data}


def error_reply(req_id: Any, message: str, code: int = 2) -> dict[str, Any]:
    return {"v": VERSION, "type": "reply", "id": req_id, "ok": False, "error": message,
            "code": code}


def snapshot(seq: int, jobs: list[dict[str, Any]], engine: dict[str, Any]) -> dict[str, Any]:
    return {"v": VERSION, "type": "snapshot", "seq": seq, "engine": engine, "jobs": jobs}


def job_delta(seq: int, job: dict[str, Any]) -> dict[str, Any]:
    return {"v": VERSION, "type": "job", "seq": seq, "job": job}
