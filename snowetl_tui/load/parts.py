"""Compressed parts: assembled from chunk frames in file order, staged while reading goes on.

Workers write one compressed frame per chunk. Frames are appended, in order, to the current
part file until it reaches the configured size (100–250 MB is what Snowflake recommends), then
the part is closed, recorded in the ledger and handed to a small thread pool that uploads it
while later chunks are still being read and validated. Part names are deterministic
(``part-000001.tsv.zst``), so a resumed load re-creates identical parts and skips the ones
already staged. The spool holds at most the parts not yet uploaded plus the frames in flight.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from snowetl_tui.errors import SnowetlError
from snowetl_tui.faults import fault_point
from snowetl_tui.load.ledger import Ledger, PartRecord
from snowetl_tui.validate.worker import ChunkOutcome
from snowetl_tui.warehouse.base import PartToCopy


class SpoolFullError(SnowetlError):
    """The spool directory ran out of space."""

    exit_code = 1


@dataclass
class _Open:
    no: int
    path: Path
    rows: int = 0
    bytes: int = 0


class PartAssembler:
    """Turns in-order chunk outcomes into staged parts."""

    def __init__(
        self,
        *,
        load_id: str,
        spool: Path,
        suffix: str,
        part_bytes: int,
        ledger: Ledger,
        stage: Callable[[PartToCopy], None],
        already_staged: dict[str, int] | None = None,
        uploads: int = 2,
        max_pending: int = 3,
    ) -> None:
        self.load_id = load_id
        self.spool = spool
        self.suffix = suffix
        self.part_bytes = part_bytes
        self.ledger = ledger
        self.stage = stage
        self.already = already_staged or {}
        self.parts: list[PartToCopy] = []
        self._current: _Open | None = None
        self._pool = ThreadPoolExecutor(uploads, thread_name_prefix="stage")
        self._futures: list[Future[None]] = []
        self.staged = 0
        self.skipped = 0
        self.max_pending = max_pending

    def name(self, no: int) -> str:
        return f"part-{no:06d}{self.suffix}"

    def add(self, outcome: ChunkOutcome) -> None:
        """Append one chunk's frame (called in file order)."""
        if outcome.compressed_file is None:
            return
        if self._current is None:
            no = len(self.parts) + 1
            self._current = _Open(no, self.spool / self.name(no))
            self._current.path.unlink(missing_ok=True)
        cur = self._current
        try:
            with open(outcome.compressed_file, "rb") as src, open(cur.path, "ab") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        except OSError as exc:
            if exc.errno == 28:  # ENOSPC
                raise SpoolFullError(
                    f"the spool {self.spool} is full ({exc.strerror}); free space or move "
                    "the workspace's .snowetl/spool to a bigger disk"
                ) from None
            raise
        os.unlink(outcome.compressed_file)
        cur.rows += outcome.result.rows
        cur.bytes += outcome.compressed_bytes
        if cur.bytes >= self.part_bytes:
            self._close()

    def _close(self) -> None:
        cur = self._current
        if cur is None:
            return
        self._current = None
        part = PartToCopy(self.name(cur.no), cur.path, cur.rows)
        self.parts.append(part)
        self.ledger.put_part(PartRecord(self.load_id, cur.no, part.name, str(cur.path),
                                        cur.bytes, cur.rows, "written"))
        self._futures.append(self._pool.submit(self._upload, cur.no, part, cur.bytes))
        # Backpressure: never keep more than max_pending closed parts in the spool.
        for fut in self._futures:
            if sum(not f.done() for f in self._futures) <= self.max_pending:
                break
            fut.result()

    def _upload(self, no: int, part: PartToCopy, size: int) -> None:
        if self.already.get(part.name) == size:
            self.skipped += 1
        else:
            self.stage(part)
            self.staged += 1
        self.ledger.put_part(PartRecord(self.load_id, no, part.name, str(part.path), size,
                                        part.rows, "staged"))
        part.path.unlink(missing_ok=True)  # uploaded: free the spool
        fault_point("staged")  # crash tests: some parts staged, the rest not

    def finish(self) -> list[PartToCopy]:
        """Close the last part and wait for every upload; re-raises an upload failure."""
        self._close()
        try:
            for fut in self._futures:
                fut.result()
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)
        return self.parts

    def abort(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
