"""Folders for private servers' Unix sockets: short enough, and this user's alone."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def socket_dir(folder: Path, socket_name: str) -> Path:
    """Where a server of `folder` puts its Unix socket: the folder itself, or when that
    path would be too long for a socket (108 bytes on Linux, 104 on macOS, with the
    final NUL), a short private folder in the temp directory named by a hash of it."""
    if len(str(folder / socket_name).encode()) <= 103:
        return folder
    digest = hashlib.sha256(str(folder).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"shunfuri-{os.getuid()}-{digest}"


def private_folder(path: Path, owner: int | None = None) -> None:
    """Create `path` readable by its owner only; refuse one that someone else made
    (the temp directory is shared, and the socket's folder is its access control)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    stat = path.lstat()
    expected = {os.getuid()} if owner is None else {os.getuid(), owner}
    if not path.is_dir() or path.is_symlink() or stat.st_uid not in expected:
        raise RuntimeError(f"{path} is not a private folder of this user; remove it")
    if owner is not None and stat.st_uid != owner:
        os.chown(path, owner, -1)
    path.chmod(0o700)


def forget_socket_dir(folder: Path, socket_dir: Path) -> None:
    """Remove a short socket folder of the temp directory once its server stopped (and so
    took its socket away); `start` makes it again."""
    if socket_dir != folder:
        try:
            socket_dir.rmdir()
        except OSError:
            pass  # not empty (a server still there) or already gone
