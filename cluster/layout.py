"""Where a cluster keeps its state: one folder (default `.shunfuri/cluster/`), removed
whole by `shunfuri cluster down`.

```
cluster.json          what runs where: the processes' command lines and environments
secrets/              the PostgreSQL password, the /metrics bearer token (0600)
data/                 SHUNFURI_DATA_DIR of every process: the shared clock control file
hosts/<host>/         a host's logs, pid state, metrics, server data
run/                  control sockets: the supervisor's, each fault proxy's
```

The folder is the machine's shared filesystem seen by every namespace: network
namespaces separate addresses, not files, so the clock file and the Unix control sockets
work across hosts as a management plane the nemesis never faults.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = Path(".shunfuri") / "cluster"
SOCKET_LIMIT = 107  # bytes of a Unix socket path, with its NUL


@dataclass(frozen=True)
class Layout:
    root: Path

    @classmethod
    def at(cls, folder: Path | None = None) -> Layout:
        return cls((folder or ROOT / DEFAULT_DIR).resolve())

    @property
    def state(self) -> Path:
        return self.root / "cluster.json"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def clock_file(self) -> Path:
        return self.data / "clock.json"

    @property
    def run(self) -> Path:
        return self.root / "run"

    @property
    def supervisor_socket(self) -> Path:
        return self.run / "supervisor.sock"

    @property
    def supervisor_log(self) -> Path:
        return self.root / "supervisor.log"

    def host(self, name: str) -> Path:
        return self.root / "hosts" / name

    def proxy_socket(self, host: str) -> Path:
        return self.run / f"proxy-{host}.sock"

    def secret(self, name: str) -> Path:
        return self.root / "secrets" / name

    def make(self) -> None:
        """Create the folders (private: the state holds a database password)."""
        for folder in (self.root, self.data, self.run, self.root / "secrets"):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        too_long = [p for p in (self.supervisor_socket, self.proxy_socket("prometheus"))
                    if len(str(p).encode()) >= SOCKET_LIMIT]
        if too_long:
            raise SystemExit(f"{self.root} is too deep for Unix sockets ({too_long[0]}); "
                             "give the cluster a shorter --dir")

    def new_secret(self, name: str) -> str:
        value = secrets.token_urlsafe(24)
        path = self.secret(name)
        path.touch(mode=0o600)
        path.write_text(value)
        return value

    def read_state(self) -> dict:
        return json.loads(self.state.read_text())

    def write_state(self, state: dict) -> None:
        tmp = self.state.with_suffix(".tmp")
        tmp.touch(mode=0o600)
        tmp.write_text(json.dumps(state, indent=2))
        os.replace(tmp, self.state)
