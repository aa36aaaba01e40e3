"""Inventory: stock movements per second from 8 parallel clients issuing the same item, issuing
8 different items, and a raw INSERT of the same rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ .venv/bin/python bench/inventory.py \
        [--movements 400] [--clients 8] [--fresh]

Everything happens in a scratch database on DATABASE_URL's server (`--db`, default
schools24_bench_inventory; created and migrated when missing, recreated with `--fresh`; the name
must contain "bench"). One school, one store, `--clients` items with plenty of stock.

Scenarios (each client is a thread with its own database connection, calling the ledger
service `apps.inventory.services.movement_record` as the API's view does; every movement is
its own transaction: balance rows created if missing and locked FOR UPDATE in (item, store)
order, the movement inserted, the balance updated):
1. same item: every client issues one unit of item 0 per movement, so all of them queue on
   one balance row lock;
2. different items: client i issues item i, so no two wait for each other;
3. raw INSERT: the rows scenarios 1 and 2 wrote are read back and inserted again (new ids) by
   the same number of clients, one single-row INSERT and COMMIT each (psycopg2), with no lock, valuation or
   check: the floor the ledger's work is measured against.
Prints movements/s for each and checks every balance against the sum of its movements.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from common import django_on_scratch, machine, say  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schools24.settings.test")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--movements", type=int, default=400, help="per scenario, in all")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--db", default="schools24_bench_inventory")
    parser.add_argument("--fresh", action="store_true")
    return parser.parse_args()


def world(clients: int):
    from apps.accounts.models import Role, School, User
    from apps.inventory.models import Item, ItemCategory, Store
    from apps.inventory.services import movement_record

    school = School.objects.create(name=f"Bench {uuid.uuid4().hex[:6]}",
                                   code=f"b{uuid.uuid4().hex[:8]}")  # fmt: skip
    actor = User.objects.create(school=school, role=Role.ADMIN, full_name="Bench",
                                email=f"{uuid.uuid4().hex[:8]}@bench.test")  # fmt: skip
    store = Store.objects.create(school=school, name="Main", code="MAIN")
    category = ItemCategory.objects.create(school=school, name="Bench")
    items = [Item.objects.create(school=school, category=category, name=f"Item {n}",
                                 sku=f"B-{n}") for n in range(clients)]  # fmt: skip
    for item in items:
        movement_record(school=school, actor=actor, kind="receipt", item=item, store=store,
                        data={"quantity": Decimal("1000000"), "rate": Decimal("3.33")})  # fmt: skip
    return school, actor, store, items


def parallel(clients: int, work) -> float:
    from django.db import connection

    barrier = threading.Barrier(clients + 1)
    errors: list[str] = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            work(index)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    t0 = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise SystemExit(f"errors: {errors[:3]}")
    return elapsed


def issues(school, actor, store, items, per_client: int, same: bool):
    from apps.inventory.services import movement_record

    def work(index: int) -> None:
        item = items[0] if same else items[index]
        for _ in range(per_client):
            movement_record(school=school, actor=actor, kind="issue", item=item, store=store,
                            data={"quantity": Decimal("1"), "location": "Bench"})  # fmt: skip

    return work


def raw_insert(school, clients: int) -> tuple[float, int]:
    import psycopg2
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM inventory_stockmovement WHERE school_id = %s AND kind = "
                       "'issue' AND location = 'Bench'", [school.pk])  # fmt: skip
        columns = [c.name for c in cursor.description]
        rows = cursor.fetchall()
    id_at, key_at = columns.index("id"), columns.index("idempotency_key")
    params = connection.get_connection_params()
    sql = (f"INSERT INTO inventory_stockmovement ({', '.join(columns)}) "  # noqa: S608
           f"VALUES ({', '.join(['%s'] * len(columns))})")  # fmt: skip
    share = [rows[i::clients] for i in range(clients)]

    def work(index: int) -> None:
        conn = psycopg2.connect(**params)
        try:
            with conn.cursor() as cursor:
                for row in share[index]:
                    row = list(row)
                    row[id_at], row[key_at] = uuid.uuid4(), ""
                    cursor.execute(sql, row)
                    conn.commit()
        finally:
            conn.close()

    return parallel(clients, work), len(rows)


def check(school) -> None:
    from apps.inventory.models import StockBalance
    from apps.inventory.services import ledger_sum

    for balance in StockBalance.objects.filter(school=school):
        assert (balance.quantity, balance.value) == ledger_sum(balance.item_id, balance.store_id)


def main() -> None:
    args = parse_args()
    django_on_scratch(args.db, args.fresh)
    say(machine())
    school, actor, store, items = world(args.clients)
    per_client = max(args.movements // args.clients, 1)
    total = per_client * args.clients
    results = {}
    for name, same in (("same item", True), ("different items", False)):
        elapsed = parallel(args.clients, issues(school, actor, store, items, per_client, same))
        results[name] = total / elapsed
        say(f"{name:>16}: {total} movements in {elapsed:.2f} s = {total / elapsed:,.0f}/s")
    check(school)  # before the raw copies, which bypass the balances on purpose
    elapsed, rows = raw_insert(school, args.clients)
    results["raw INSERT"] = rows / elapsed
    say(f"{'raw INSERT':>16}: {rows} rows in {elapsed:.2f} s = {rows / elapsed:,.0f}/s")
    say(f"ledger / raw INSERT: same item {results['same item'] / results['raw INSERT']:.2f}, "
        f"different items {results['different items'] / results['raw INSERT']:.2f}")  # fmt: skip
    say("(the raw copies leave this school's balances behind its movements: rerun with --fresh)")


if __name__ == "__main__":
    main()
