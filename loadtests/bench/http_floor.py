"""The HTTP stack's own CPU per request: what any `POST /v1/transfers` costs before the
product does anything.

An app with the same shape as the real route (uvicorn, FastAPI, a pydantic body, the
`Authorization` and `Prefer` headers, an orjson answer) but no database, no Redis and
no checks, driven by `loadtests.bench.api_cpu`'s client at `--rate` for `--seconds`. The CPU of
its process per request is the floor under the API's figure in `loadtests.bench.api_cpu`: the
part of it no change to our code can remove short of another HTTP stack.

    .venv/bin/python -m loadtests.bench.http_floor --rate 300 --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from typing import Annotated

import orjson
import psutil
from fastapi import FastAPI, Header, Response
from pydantic import BaseModel, Field

from loadtests.bench.api_cpu import _Connection, _Idle
from tests.system import ROOT, free_port, poll


class TransferIn(BaseModel):
    payee_id: int = Field(ge=1)
    amount: int = Field(ge=1)


def create_app() -> FastAPI:
    app = FastAPI()

    @app.post("/v1/transfers", status_code=202)
    async def create(body: TransferIn,
                     authorization: Annotated[str | None, Header()] = None,
                     prefer: Annotated[str | None, Header()] = None) -> Response:
        view = {"id": "0b6f3c1e-6a53-4c39-9a43-55b0d2f3b1a7", "status": "settled",
                "amount": body.amount, "payee_id": body.payee_id}
        return Response(orjson.dumps(view), status_code=201, media_type="application/json")

    return app


async def _drive(port: int, rate: float, seconds: float) -> int:
    idle = _Idle("127.0.0.1", port)
    done = 0

    async def one() -> None:
        nonlocal done
        conn = idle.take()
        await conn.request("POST", "/v1/transfers",
                           {"Authorization": "Bearer x", "Prefer": "wait=10"},
                           b'{"payee_id": 1, "amount": 1000}')
        idle.give(conn)
        done += 1

    start, tasks = time.perf_counter(), []
    for i in range(int(rate * seconds)):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one()))
    await asyncio.gather(*tasks)
    idle.close()
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=300)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "loadtests.bench.http_floor:create_app", "--factory",
         "--port", str(port), "--no-access-log", "--log-level", "warning"], cwd=ROOT)
    try:
        poll(lambda: _answers(port), timeout=30, interval=0.2, what="the floor app")
        asyncio.run(_drive(port, args.rate, 2))  # warm-up
        proc = psutil.Process(server.pid)
        before = sum(proc.cpu_times()[:2])
        done = asyncio.run(_drive(port, args.rate, args.seconds))
        used = sum(proc.cpu_times()[:2]) - before
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(json.dumps({"rate": args.rate, "seconds": args.seconds, "requests": done,
                      "cpu_ms_per_request": round(1000 * used / done, 3)}))


def _answers(port: int) -> bool:
    async def ask() -> int:
        conn = _Connection("127.0.0.1", port)
        try:
            return (await conn.request("POST", "/v1/transfers", {},
                                       b'{"payee_id": 1, "amount": 1}'))[0]
        finally:
            conn.close()

    try:
        return asyncio.run(ask()) == 201
    except OSError:
        return False


if __name__ == "__main__":
    main()
