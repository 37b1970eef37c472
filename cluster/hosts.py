"""The cluster's topology as data: hosts, their addresses, what runs on each, who talks
to whom.

Every host is a network namespace `<prefix>-<name>` with a veth pair into one bridge
`<prefix>-br0` in the root namespace; the bridge holds the subnet's `.1`, the runner's
address (clients run in their own `client` host; the nemesis and the checker talk to the
hosts from the root namespace, over links no fault ever touches).

The servers (PostgreSQL, Redis, the bank) listen on 127.0.0.1 inside their host; what
the other hosts reach at `<host address>:<port>` is the host's fault proxy
(`cluster.proxy`), forwarding to that loopback port. So a client's own TCP stack still
sees partitions (the nftables drops are between host addresses), and the proxy adds what
a partition cannot: delay, stalls, resets, refused connections, per client host.
"""

from __future__ import annotations

from dataclasses import dataclass, field

POSTGRES_PORT = 5432
REDIS_PORT = 6379
API_PORT = 8000
BANK_PORT = 8081
EXPORTER_PORT = 9100
PROMETHEUS_PORT = 9090

# What each role listens on (the proxied services are the servers' ports).
PROXIED = {"postgres": POSTGRES_PORT, "redis": REDIS_PORT, "bank": BANK_PORT}
APP_ROLES = ("api", "instant", "batch", "beat", "bank")
WORKER_ROLES = ("instant", "batch", "beat")


@dataclass(frozen=True)
class Host:
    name: str
    last_octet: int
    roles: tuple[str, ...]

    @property
    def is_worker(self) -> bool:
        return any(role in WORKER_ROLES for role in self.roles)

    @property
    def is_app(self) -> bool:
        """Its processes are the system's own: `kill -9` and restart apply to them."""
        return any(role in APP_ROLES for role in self.roles)

    def talks_to(self) -> tuple[str, ...]:
        """The roles this host opens connections to."""
        wanted: list[str] = []
        if "api" in self.roles or self.is_worker:
            wanted += ["postgres", "redis"]
        if any(role in ("instant", "batch") for role in self.roles):
            wanted.append("bank")
        if "client" in self.roles:
            wanted.append("api")
        if "prometheus" in self.roles:
            wanted += ["api", "instant"]
        return tuple(wanted)


HOSTS: tuple[Host, ...] = (
    Host("postgres", 10, ("postgres",)),
    Host("redis", 11, ("redis",)),
    Host("api1", 21, ("api",)),
    Host("api2", 22, ("api",)),
    Host("worker1", 31, ("instant",)),
    Host("worker2", 32, ("instant", "batch")),
    Host("worker3", 33, ("instant", "beat")),
    Host("bank", 40, ("bank",)),
    # The credit-bureau simulator gets its host here once it exists:
    # Host("bureau", 41, ("bureau",)), with "bureau" in PROXIED and in talks_to().
    Host("prometheus", 50, ("prometheus",)),
    Host("client", 100, ("client",)),
)


@dataclass(frozen=True)
class Topology:
    """Names and addresses; another prefix and subnet give a second, separate cluster
    (the tests of `cluster.netns` use one, beside a running `sf` cluster)."""

    prefix: str = "sf"
    subnet: str = "10.77.0"  # a /24
    hosts: tuple[Host, ...] = field(default=HOSTS)

    @property
    def bridge(self) -> str:
        return f"{self.prefix}-br0"

    @property
    def gateway(self) -> str:
        """The root namespace's address on the bridge: the runner's management address."""
        return f"{self.subnet}.1"

    def host(self, name: str) -> Host:
        for host in self.hosts:
            if host.name == name:
                return host
        raise KeyError(f"no host {name!r} in the cluster")

    def netns(self, name: str) -> str:
        return f"{self.prefix}-{name}"

    def veth(self, name: str) -> str:
        """The root-namespace end of the host's veth pair (interface names: 15 bytes)."""
        return f"{self.prefix}-{name}"[:15]

    def address(self, name: str) -> str:
        return f"{self.subnet}.{self.host(name).last_octet}"

    def with_role(self, role: str) -> list[Host]:
        return [h for h in self.hosts if role in h.roles]

    def first(self, role: str) -> Host:
        return self.with_role(role)[0]

    def url(self, role: str, scheme: str = "http") -> str:
        host = self.first(role)
        port = {**PROXIED, "api": API_PORT, "prometheus": PROMETHEUS_PORT}[role]
        return f"{scheme}://{self.address(host.name)}:{port}"

    def peers(self, name: str) -> list[str]:
        """The hosts `name` opens connections to."""
        roles = self.host(name).talks_to()
        return [h.name for h in self.hosts if h.name != name and set(h.roles) & set(roles)]

    def links(self) -> list[tuple[str, str]]:
        """Every (client host, server host) pair that carries traffic."""
        return [(h.name, peer) for h in self.hosts for peer in self.peers(h.name)]

    def proxied_links(self) -> list[tuple[str, str]]:
        """Links through a fault proxy: to PostgreSQL, Redis, the bank."""
        return [(a, b) for a, b in self.links() if set(self.host(b).roles) & set(PROXIED)]


DEFAULT = Topology()
