"""The standard library's json against orjson on what the hot path encodes and decodes:
a transfer's view (the answer and the worker's event) and a transfer request body.

    .venv/bin/python -m loadtests.bench.json_codec
"""

from __future__ import annotations

import json
import timeit

import orjson

VIEW = {
    "id": "0b6f3c1e-6a53-4c39-9a43-55b0d2f3b1a7", "status": "settled", "amount": 10000,
    "payee_id": 123456, "accepted_at": "2026-12-01T10:00:00.123456+09:00",
    "decision": "instant", "settle_at": "2026-12-01T10:00:00.123456+09:00",
    "settled_at": "2026-12-01T10:00:00.141234+09:00", "failure_code": None, "note": None,
}
BODY = b'{"payee_id": 123456, "amount": 10000}'


def main() -> None:
    cases = {
        "encode view, stdlib": lambda: json.dumps(
            VIEW, ensure_ascii=False, separators=(",", ":")).encode(),
        "encode view, orjson": lambda: orjson.dumps(VIEW),
        "decode body, stdlib": lambda: json.loads(BODY),
        "decode body, orjson": lambda: orjson.loads(BODY),
    }
    for name, fn in cases.items():
        runs = timeit.repeat(fn, number=20_000, repeat=5)
        print(f"{name:22} {min(runs) / 20_000 * 1e6:6.2f} µs")


if __name__ == "__main__":
    main()
