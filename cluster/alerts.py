"""Which Prometheus alerts fired during each fault, and whether all cleared after
healing: read from Prometheus' own `ALERTS` series over its HTTP API."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

STEP_S = 5


@dataclass(frozen=True)
class Firing:
    alert: str
    host: str
    first: float
    last: float


def fired(prometheus: str, start: float, end: float) -> list[Firing]:
    answer = httpx.get(f"{prometheus}/api/v1/query_range", params={
        "query": 'ALERTS{alertstate="firing"}', "start": start, "end": end,
        "step": STEP_S}, timeout=15).json()
    out = []
    for series in answer.get("data", {}).get("result", []):
        labels = series["metric"]
        stamps = [float(t) for t, _ in series["values"]]
        out += [Firing(labels.get("alertname", "?"), labels.get("host", ""), first, last)
                for first, last in spans(stamps)]
    return sorted(out, key=lambda f: (f.first, f.alert))


def spans(stamps: list[float], step: float = STEP_S) -> list[tuple[float, float]]:
    """The separate firings in one alert's series: a range query has a sample every
    `step` seconds while it fires, so a gap of more than one step is a new firing (one
    (first, last) for the whole series once made a host look down for 23 minutes)."""
    out: list[tuple[float, float]] = []
    for stamp in sorted(stamps):
        if out and stamp - out[-1][1] <= step * 1.5:
            out[-1] = (out[-1][0], stamp)
        else:
            out.append((stamp, stamp))
    return out


def firing_now(prometheus: str) -> list[str]:
    answer = httpx.get(f"{prometheus}/api/v1/alerts", timeout=10).json()
    return sorted(f"{a['labels'].get('alertname')} {a['labels'].get('host', '')}".strip()
                  for a in answer.get("data", {}).get("alerts", [])
                  if a.get("state") in ("firing", "pending"))


def wait_cleared(prometheus: str, timeout: float) -> tuple[bool, list[str], float]:
    """(all cleared, what still fires, seconds waited): polled until none is firing or
    pending, or `timeout` passes."""
    started = time.monotonic()
    still: list[str] = []
    while time.monotonic() - started < timeout:
        try:
            still = firing_now(prometheus)
        except (httpx.HTTPError, ValueError):
            still = ["prometheus unreachable"]
        if not still:
            return True, [], round(time.monotonic() - started, 1)
        time.sleep(STEP_S)
    return False, still, round(time.monotonic() - started, 1)


def episodes(windows: list, firings: list[Firing], started: float,
             grace_s: float = 60.0) -> list[dict]:
    """Each alert that fired: when (seconds into the run), and the faults active when it
    began or healed less than `grace_s` before (an alert waits for its `for:` and its
    range window, so it may begin just after its cause has healed)."""
    out = []
    for f in firings:
        causes = [w.fault for w in windows if w.start <= f.first <= w.end + grace_s]
        out.append({"alert": f.alert, "host": f.host, "from_s": round(f.first - started, 1),
                    "to_s": round(f.last - started, 1), "faults": causes})
    return out
