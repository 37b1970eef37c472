"""Network namespaces, veth pairs, the bridge, and partitions, through iproute2 and nftables
(`ip`, `nft`: the programs, no Python dependency).

A partition is a drop in the sending host's namespace: each host has an nftables table
`sf_nemesis` whose output chain drops every packet to an address in its set
`blocked_out`. "A cut from B" (one way) adds B to A's set; both ways adds each to the
other's. Established connections stall exactly as on a real network: nothing is reset,
packets just stop arriving.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

from cluster.hosts import Topology

TABLE = "sf_nemesis"
NFT_TABLE = f"""
table inet {TABLE} {{
  set blocked_out {{ type ipv4_addr; }}
  chain output {{
    type filter hook output priority 0; policy accept;
    ip daddr @blocked_out drop
  }}
}}
"""
NETNS_DIR = Path("/run/netns")


class NetworkError(RuntimeError):
    pass


def require_root_linux() -> None:
    """Namespaces and nftables need Linux and root: say so and exit 2 elsewhere."""
    problems = []
    if platform.system() != "Linux":
        problems.append(f"this is {platform.system()}, not Linux")
    elif os.geteuid() != 0:
        problems.append("this process is not root")
    for program in ("ip", "nft"):
        if shutil.which(program) is None:
            problems.append(f"`{program}` is not installed (apt-get install iproute2 nftables)")
    if problems:
        print("shunfuri cluster needs root on Linux with iproute2 and nftables: "
              + "; ".join(problems) + ".", file=sys.stderr)
        raise SystemExit(2)


def run(*argv: str, check: bool = True, stdin: str | None = None) -> str:
    done = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=30)
    if check and done.returncode != 0:
        raise NetworkError(f"{' '.join(argv)}: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def in_netns(topology: Topology, host: str, *argv: str, check: bool = True) -> str:
    return run("ip", "netns", "exec", topology.netns(host), *argv, check=check)


def exists(topology: Topology) -> bool:
    return Path("/sys/class/net", topology.bridge).exists()


def create(topology: Topology) -> None:
    """The bridge, one namespace per host with its address, and its nftables table."""
    if exists(topology):
        raise NetworkError(f"bridge {topology.bridge} exists: the cluster is up "
                           "(`shunfuri cluster down` first)")
    _check_subnet_free(topology)
    run("ip", "link", "add", topology.bridge, "type", "bridge")
    run("ip", "addr", "add", f"{topology.gateway}/24", "dev", topology.bridge)
    run("ip", "link", "set", topology.bridge, "up")
    for host in topology.hosts:
        ns, veth = topology.netns(host.name), topology.veth(host.name)
        run("ip", "netns", "add", ns)
        run("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns)
        run("ip", "link", "set", veth, "master", topology.bridge, "up")
        run("ip", "-n", ns, "addr", "add", f"{topology.address(host.name)}/24", "dev", "eth0")
        run("ip", "-n", ns, "link", "set", "eth0", "up")
        run("ip", "-n", ns, "link", "set", "lo", "up")
        run("ip", "netns", "exec", ns, "nft", "-f", "-", stdin=NFT_TABLE)


def _check_subnet_free(topology: Topology) -> None:
    routes = run("ip", "-4", "route", "show", f"{topology.subnet}.0/24", check=False)
    if routes.strip():
        raise NetworkError(f"{topology.subnet}.0/24 is already routed here ({routes.strip()});"
                           " the cluster needs it to itself")


def destroy(topology: Topology) -> None:
    """Remove every namespace, link and the bridge; missing ones are fine. Processes
    still inside a namespace are killed first (a namespace lives while one does)."""
    for host in topology.hosts:
        for pid in pids_in(topology, host.name):
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
    for host in topology.hosts:
        run("ip", "netns", "delete", topology.netns(host.name), check=False)
        run("ip", "link", "delete", topology.veth(host.name), check=False)
    run("ip", "link", "delete", topology.bridge, check=False)


def leftovers(topology: Topology) -> list[str]:
    """What of this topology still exists: namespaces, links, living processes."""
    found = []
    names = {topology.netns(h.name) for h in topology.hosts}
    if NETNS_DIR.is_dir():
        found += [f"netns {n}" for n in sorted(names & set(os.listdir(NETNS_DIR)))]
    links = {topology.veth(h.name) for h in topology.hosts} | {topology.bridge}
    found += [f"link {n}" for n in sorted(links & set(os.listdir("/sys/class/net")))]
    for host in topology.hosts:
        found += [f"process {pid} in {host.name}" for pid in pids_in(topology, host.name)]
    return found


def pids_in(topology: Topology, host: str) -> list[int]:
    """Living (not zombie) processes whose network namespace is the host's."""
    try:
        target = os.stat(NETNS_DIR / topology.netns(host))
    except OSError:
        return []
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            ns = os.stat(f"/proc/{entry}/ns/net")
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if (ns.st_ino, ns.st_dev) == (target.st_ino, target.st_dev) and state != "Z":
            found.append(int(entry))
    return found


# ---------------------------------------------------------------- partitions


def block(topology: Topology, host: str, peer: str) -> None:
    """Drop every packet `host` sends to `peer` (one way)."""
    address = topology.address(peer)
    in_netns(topology, host, "nft", "add", "element", "inet", TABLE, "blocked_out",
             f"{{ {address} }}")


def unblock(topology: Topology, host: str, peer: str) -> None:
    address = topology.address(peer)
    in_netns(topology, host, "nft", "delete", "element", "inet", TABLE, "blocked_out",
             f"{{ {address} }}", check=False)


def blocked(topology: Topology, host: str) -> list[str]:
    """The addresses `host` currently drops packets to."""
    out = in_netns(topology, host, "nft", "-j", "list", "set", "inet", TABLE, "blocked_out")
    for item in json.loads(out).get("nftables", []):
        if "set" in item:
            return sorted(str(e) for e in item["set"].get("elem", []))
    return []


def unblock_all(topology: Topology) -> None:
    for host in topology.hosts:
        in_netns(topology, host.name, "nft", "flush", "set", "inet", TABLE, "blocked_out",
                 check=False)
