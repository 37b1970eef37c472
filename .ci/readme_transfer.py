"""The README's "Try it", against a running `make run`: a member at the staff desk, a
login, a payee, a transfer, and its answer once settled. Exit 0 only if it settled."""

from __future__ import annotations

import sys
import time

import httpx

ADMIN = {"X-Admin-Key": "dev-admin-key-change-me"}  # SHUNFURI_ADMIN_KEY's development default


def main(base: str) -> int:
    deadline = time.monotonic() + 180
    with httpx.Client(base_url=base, timeout=30) as http:
        while True:  # `make run` installs nothing more, but starts a dozen processes
            try:
                if http.get("/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                print("readme_transfer: the system never became ready", file=sys.stderr)
                return 1
            time.sleep(0.5)
        print(http.get("/v1/availability", params={"bank_code": "0005"}).json())
        member = http.post("/v1/admin/members", headers=ADMIN,
                           json={"credit_limit": 500000, "pin": "2580"}).json()
        login = http.post("/v1/login", json={"card_number": member["card_number"], "pin": "2580"})
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        payee = http.post("/v1/payees", headers=auth, json={
            "bank_code": "0009", "branch_code": "001", "account_type": "ordinary",
            "account_number": "1234567", "holder_name": "ﾔﾏﾀﾞ ﾀﾛｳ", "pin": "2580"}).json()
        accepted = http.post("/v1/transfers", headers={**auth, "Idempotency-Key": "first-advance"},
                             json={"payee_id": payee["id"], "amount": 10000})
        print(accepted.status_code, accepted.json())
        transfer_id = accepted.json()["id"]
        while time.monotonic() < deadline:
            seen = http.get(f"/v1/transfers/{transfer_id}", params={"wait": 10}, headers=auth)
            print(seen.json())
            if seen.json()["status"] == "settled":
                return 0
            if seen.json()["status"] in ("failed", "rejected", "cancelled"):
                return 1
    print("readme_transfer: the transfer did not settle in time", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
