"""The private PostgreSQL and Redis of a data folder (`shunfuri.embedded`): real servers,
started, found again by another process, stopped, and restarted with their data."""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest

from shunfuri.embedded import PrivatePostgres, PrivateRedis
from shunfuri.embedded.postgres_server import SOCKET, bin_dir
from tests.system import ROOT, SHUNFURI, free_port

START_IN_ANOTHER_PROCESS = (
    "import sys; from pathlib import Path; from shunfuri.embedded import PrivatePostgres; "
    "print(PrivatePostgres(Path(sys.argv[1])).start())"
)


def _start_elsewhere(folder: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", START_IN_ANOTHER_PROCESS, str(folder)],
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)


def test_data_survives_a_restart_and_another_process_finds_the_running_server(tmp_path):
    server = PrivatePostgres(tmp_path / "postgres", durable=False)
    try:
        assert server.start() is True
        url = server.create_database("kept")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE t (v int); INSERT INTO t VALUES (42)")
        other = _start_elsewhere(server.folder)
        assert other.communicate(timeout=60)[0].strip() == "False"  # found it running
        assert server.running()  # and its exit did not stop it
        server.stop()
        assert not server.running()
        assert not (server.socket_dir / SOCKET).exists()
        assert server.start() is True
        with psycopg.connect(server.create_database("kept")) as conn:
            assert conn.execute("SELECT v FROM t").fetchone() == (42,)
    finally:
        server.destroy()


def test_two_processes_starting_one_folder_at_once_make_one_server(tmp_path):
    folder = tmp_path / "postgres"
    starters = [_start_elsewhere(folder) for _ in range(2)]
    try:
        answers = sorted(p.communicate(timeout=120)[0].strip() for p in starters)
        assert answers == ["False", "True"]
        assert PrivatePostgres(folder).running()
    finally:
        PrivatePostgres(folder).destroy()


def test_a_folder_too_deep_for_a_socket_path_puts_its_socket_in_a_short_private_one(tmp_path):
    folder = tmp_path / ("deep" * 30) / "postgres"
    assert len(str(folder / SOCKET)) > 107  # what a Unix socket path may hold
    server = PrivatePostgres(folder, durable=False)
    try:
        server.start()
        assert server.socket_dir != folder
        assert len(str(server.socket_dir / SOCKET)) <= 103
        assert server.socket_dir.stat().st_mode & 0o777 == 0o700
        with psycopg.connect(server.url()) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        server.stop()
        assert not server.socket_dir.exists()  # nothing left behind in the temp directory
        server.start()
        with psycopg.connect(server.url()) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        server.destroy()
    assert not server.socket_dir.exists()


def test_migrate_on_a_fresh_data_folder_starts_the_private_postgresql_and_stops_it(tmp_path):
    data_dir = tmp_path / "data"
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "BROKER_URL", "SHUNFURI_BANK_DATABASE_URL")}
    for _ in range(2):  # the second run finds the cluster (and the schema) it left
        done = subprocess.run([SHUNFURI, "migrate", "--data-dir", str(data_dir)], env=env,
                              capture_output=True, text=True, timeout=120, cwd=ROOT)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "database schema is up to date" in done.stdout
        assert not PrivatePostgres(data_dir / "postgres").running()
    server = PrivatePostgres(data_dir / "postgres")
    try:
        server.start()
        with psycopg.connect(server.url("shunfuri")) as conn:
            assert conn.execute("SELECT version_num FROM alembic_version").fetchone() is not None
        with psycopg.connect(server.url("bank_simulator")) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == ("bank_simulator",)
    finally:
        server.stop()


def test_as_root_postgresql_runs_unprivileged_and_the_machine_is_left_as_it_was(tmp_path):
    """PostgreSQL refuses root. By default it runs in a user namespace (nothing changes on
    the machine: no user added, no folder opened up); with `as_user` (the fallback where
    namespaces are forbidden) as that user, in a folder handed to it."""
    passwd = Path("/etc/passwd").read_text()
    modes = {p: p.stat().st_mode for p in (tmp_path, *tmp_path.parents)}
    server = PrivatePostgres(tmp_path / "postgres", durable=False)
    try:
        server.start()
        with psycopg.connect(server.url()) as conn:
            assert conn.execute("SELECT current_user").fetchone() == ("postgres",)
    finally:
        server.destroy()
    assert Path("/etc/passwd").read_text() == passwd
    assert {p: p.stat().st_mode for p in modes} == modes
    if os.geteuid() != 0:
        return  # as_user only applies to root; the start above was the whole story
    # tmp_path's parents are closed to other users: say so, and how to get on.
    closed = PrivatePostgres(tmp_path / "closed", as_user="nobody")
    with pytest.raises(RuntimeError, match=r"(?s)run as user nobody.*DATABASE_URL"):
        closed.start()
    open_root = Path(tempfile.mkdtemp(prefix="shunfuri-nobody-"))
    open_root.chmod(0o755)
    server = PrivatePostgres(open_root / "postgres", durable=False, as_user="nobody")
    try:
        if not _others_can_enter(bin_dir()):  # e.g. a clone under /root: say so, clearly
            with pytest.raises(RuntimeError, match=r"(?s)run as user nobody.*DATABASE_URL"):
                server.start()
            return
        server.start()
        pid = int((server.data / "postmaster.pid").read_text().split()[0])
        status = Path(f"/proc/{pid}/status").read_text()
        uid = next(line.split()[2] for line in status.splitlines() if line.startswith("Uid:"))
        assert int(uid) == pwd.getpwnam("nobody").pw_uid
        with psycopg.connect(server.url()) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        server.destroy()
        open_root.rmdir()


def _others_can_enter(path: Path) -> bool:
    return all(p.stat().st_mode & 0o001 for p in (path, *path.parents))


def test_private_redis_restarts_empty_and_finds_a_running_one(tmp_path):
    server = PrivateRedis(tmp_path / ("deep" * 25) / "redis")
    try:
        assert server.start() is True
        assert len(str(server.socket_dir / "redis.sock")) <= 103
        server.client().set("k", "v")
        assert PrivateRedis(server.folder).start() is False
        server.stop()
        assert not server.running()
        assert not server.socket_dir.exists()  # the short socket folder went with it
        server.start()
        assert server.client().get("k") is None  # no persistence: in-flight work is lost
    finally:
        server.destroy()
    tcp = PrivateRedis(tmp_path / "tcp", port=free_port())
    try:
        tcp.start()
        assert tcp.url.startswith("redis://127.0.0.1:")
        assert tcp.client().ping()
    finally:
        tcp.destroy()
