"""Import benchmark: a generated leads file of N rows into SQLite, PostgreSQL and MariaDB.

    .venv/bin/python bench/import_bench.py [--rows 1000000] [--engines sqlite,postgresql,mariadb]

Writes the file into a temporary folder, then imports it once per engine in a child process
(a database of its own, dropped after) and prints, per engine, the wall time of the import,
rows per second and the child's peak resident memory (ru_maxrss) next to the same process's
memory before the import. A server that cannot be reached is reported and skipped.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

SERVERS = {
    "postgresql": os.environ.get("BENCH_POSTGRESQL_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    "mariadb": os.environ.get("BENCH_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test"),
}
SOURCES = ("organic_search", "paid_search", "paid_social", "email", "referral", "webinar", "events")
SEGMENTS = ("SMB", "Mid-market", "Enterprise")
OWNERS = 40


def write_leads(path: Path, rows: int, seed: int = 7) -> None:
    """A leads export of `rows` rows with stage dates, as a CRM would give it, written as it goes."""
    rng = random.Random(seed)
    start = dt.datetime(2024, 1, 1, 8, 0)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("id,created_at,source,segment,owner_id,mql_at,sal_at,sql_at,disqualified_at,"
                  "disqualified_reason,first_touch_at\n")
        for number in range(rows):
            created = start + dt.timedelta(minutes=number * 1.05)
            stamp = created.strftime("%Y-%m-%dT%H:%M:%S")
            mql = sal = sql = disq = touch = reason = ""
            if rng.random() < 0.45:
                mql_at = created + dt.timedelta(hours=rng.randint(1, 72))
                mql = mql_at.strftime("%Y-%m-%dT%H:%M:%S")
                touch = (mql_at + dt.timedelta(minutes=rng.randint(5, 600))).strftime("%Y-%m-%dT%H:%M:%S")
                if rng.random() < 0.8:
                    sal = (mql_at + dt.timedelta(hours=rng.randint(2, 48))).strftime("%Y-%m-%dT%H:%M:%S")
                    if rng.random() < 0.35:
                        sql = (mql_at + dt.timedelta(days=rng.randint(3, 20))).strftime("%Y-%m-%dT%H:%M:%S")
                else:
                    disq = (mql_at + dt.timedelta(hours=rng.randint(2, 48))).strftime("%Y-%m-%dT%H:%M:%S")
                    reason = "not a fit"
            out.write(f"L{number:07d},{stamp},{rng.choice(SOURCES)},{rng.choice(SEGMENTS)},"
                      f"O{rng.randrange(OWNERS)},{mql},{sal},{sql},{disq},{reason},{touch}\n")


def import_once(url: str, folder: Path) -> dict:
    """In the child: owners then the leads file into `url`; time and memory of the leads import."""
    import resource

    from dashboard.importing.importer import import_csv
    from queries.db import init_db

    engine = init_db(url)
    owners = folder / "owners.csv"
    owners.write_text("id,name,team\n" + "".join(f"O{n},Owner {n},sales\n" for n in range(OWNERS)))
    import_csv(engine, "owners", owners)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    result = import_csv(engine, "leads", folder / "leads.csv")
    seconds = time.perf_counter() - started
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    engine.dispose()
    return {"rows": result.rows, "inserted": result.inserted, "unresolved": result.unresolved,
            "seconds": round(seconds, 1), "rss_before_mb": round(rss_before / 1024),
            "rss_peak_mb": round(rss_peak / 1024)}


def database_for(engine: str, folder: Path):
    """A fresh database URL on `engine` and a function that drops it (None, reason when unreachable)."""
    if engine == "sqlite":
        return f"sqlite:///{folder}/bench.db", lambda: None
    from sqlalchemy import create_engine, text

    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(SERVERS[engine], isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}"))
    except Exception as error:  # the server is not there: say so and go on
        return None, str(error).splitlines()[0]

    def drop():
        force = " WITH (FORCE)" if engine == "postgresql" else ""
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name}{force}"))
        admin.dispose()

    return admin.url.set(database=name).render_as_string(hide_password=False), drop


def machine() -> str:
    """CPU model, cores and memory of this machine, from /proc."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        kib = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                       if line.startswith("MemTotal")))
        memory = f"{kib / 1024 / 1024:.1f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        memory = "unknown RAM"
    return f"{model}, {os.cpu_count()} cores, {memory}, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--engines", default="sqlite,postgresql,mariadb")
    parser.add_argument("--child", nargs=2, metavar=("URL", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(import_once(args.child[0], Path(args.child[1]))))
        return

    print(f"machine: {machine()}")
    print(f"date: {dt.date.today().isoformat()}")
    with tempfile.TemporaryDirectory(prefix="import-bench-") as temp:
        folder = Path(temp)
        started = time.perf_counter()
        write_leads(folder / "leads.csv", args.rows)
        size = (folder / "leads.csv").stat().st_size
        print(f"file: {args.rows:,} leads, {size / 1e6:,.0f} MB, written in {time.perf_counter() - started:.0f} s")
        print(f"{'engine':<11} {'rows':>10} {'seconds':>8} {'rows/s':>8} {'RSS before':>11} {'peak RSS':>9}")
        for engine in args.engines.split(","):
            url, drop = database_for(engine, folder)
            if url is None:
                print(f"{engine:<11} skipped: {drop}")
                continue
            try:
                child = subprocess.run([sys.executable, __file__, "--child", url, str(folder)],
                                       capture_output=True, text=True, cwd=PROJECT)
                if child.returncode:
                    print(f"{engine:<11} failed: {child.stderr.strip().splitlines()[-1]}")
                    continue
                result = json.loads(child.stdout)
                print(f"{engine:<11} {result['rows']:>10,} {result['seconds']:>8.1f} "
                      f"{result['rows'] / result['seconds']:>8,.0f} {result['rss_before_mb']:>8} MB "
                      f"{result['rss_peak_mb']:>6} MB", flush=True)
            finally:
                drop()
                if engine == "sqlite":
                    for leftover in folder.glob("bench.db*"):
                        leftover.unlink()


if __name__ == "__main__":
    main()
