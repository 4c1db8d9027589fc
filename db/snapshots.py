"""The snapshot store: every distinct fetched body, raw, content-addressed by sha256.

Files live at ``<root>/<first two hex digits>/<sha256>.gz`` (gzip, mtime 0, so the
same body always gives the same file). A file is written to a temporary name, flushed
to disk and renamed into place before the row that points to it is committed; a file
read back is verified against its hash. When a body arrives whose file is already
stored, that file is verified too, and written again if it is damaged.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from scraper.errors import KankeiError

log = logging.getLogger(__name__)


class SnapshotError(KankeiError):
    """A stored snapshot file is missing, does not match its hash, or cannot be written."""


@dataclass(frozen=True)
class StoredBody:
    sha256: str
    path: str  # relative to the store root
    size: int  # uncompressed bytes
    created: bool  # False when an identical body was already stored (and its file is intact)


class SnapshotStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def relpath(self, sha256: str) -> str:
        return f"{sha256[:2]}/{sha256}.gz"

    def put(self, body: bytes) -> StoredBody:
        """Store ``body`` (once); raise :class:`SnapshotError` naming the file when it cannot be written."""
        sha = hashlib.sha256(body).hexdigest()
        rel = self.relpath(sha)
        target = self.root / rel
        if target.exists():
            try:
                self.read(rel, sha)
                return StoredBody(sha, rel, len(body), created=False)
            except SnapshotError as e:
                log.warning("%s; writing it again from the body just fetched", e)
        try:
            self._write(target, body)
        except OSError as e:
            raise SnapshotError(f"cannot store the snapshot {e.filename or target}: {e.strerror or e}") from e
        return StoredBody(sha, rel, len(body), created=True)

    def _write(self, target: Path, body: bytes) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as raw:
                with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
                    gz.write(body)
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(tmp, target)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise

    def read(self, rel: str, sha256: str) -> bytes:
        """The stored body, verified against ``sha256``."""
        path = self.root / rel
        try:
            with open(path, "rb") as f:
                body = zlib.decompress(f.read(), wbits=31)  # gzip: checks the CRC-32 and length too
        except FileNotFoundError:
            raise SnapshotError(f"snapshot file {path} is missing (sha256 {sha256[:12]}…)") from None
        except (OSError, EOFError, zlib.error) as e:
            raise SnapshotError(f"snapshot file {path} is unreadable: {e}") from e
        actual = hashlib.sha256(body).hexdigest()
        if actual != sha256:
            raise SnapshotError(
                f"snapshot file {path} does not match its hash (expected {sha256[:12]}…, got {actual[:12]}…)"
            )
        return body
