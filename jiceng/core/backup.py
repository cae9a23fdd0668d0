"""The backup and restore drill (issue 18): dump the database with ``pg_dump --format=custom``,
restore the dump into a fresh database with ``pg_restore``, and prove the copy equals the
original, table by table, and that the audit table is still append-only.

What is compared (``snapshot``), every object of the ``public`` schema read from ``pg_catalog``
(not from Django's models, so partitions and hand-made objects are included):

- every table, relkind ``r`` (plain tables and partitions) and ``p`` (partitioned parents): its
  columns, its parent and partition bound, its row count and a checksum of its rows;
- the triggers (``pg_trigger``, not internal: name, ``pg_get_triggerdef``, enabled state); the
  indexes (name, table, access method, unique/primary, columns with their non-default
  collations and operator classes, partial or not, valid); the constraints (kind, columns,
  referenced table, validated); the functions' definitions; the installed extensions. Index
  predicates and CHECK expressions are not compared as text: PostgreSQL deparses them
  differently after a dump and restore (``ARRAY[...]::text[]`` becomes ``ARRAY[(...)::text]``);
- the sequences' last values.

**The checksum.** Each row is turned into text (``ROW(r.*)::text``, in a session with fixed
``TimeZone``, ``DateStyle``, ``IntervalStyle``, ``extra_float_digits`` and ``bytea_output`` so
the text does not depend on the client) and hashed with ``md5``; the 128-bit digest is split into
two 64-bit halves, and each half is summed over the table (exact ``numeric`` sums, reported
modulo 2^64). Addition is commutative, so the result does not depend on the order of the rows;
it is one sequential scan with constant memory (it streams; no ``string_agg`` of the whole
table, no sort); a duplicated row adds its digest twice instead of cancelling out as it would
under XOR; and a difference in any row changes the sums unless 128 bits of md5 happen to
compensate, which is far beyond what a drill needs (the check is against damage and loss, not
against an adversary who can write the restored copy). Sums add up, so a partitioned parent's
checksum is the sum of its partitions' and its rows are scanned once.

**Consistency with a live database.** The source is read in one ``REPEATABLE READ`` transaction
whose snapshot is exported (``pg_export_snapshot``) and handed to ``pg_dump --snapshot``: the
dump and the source's counts and checksums see the same rows however busy the database is.
Sequences are not transactional, so a sequence passes when the restored value lies between the
source's values read before and after the dump (equal on a quiet database).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from django.utils import timezone
from psycopg import sql

SCHEMA = "public"
AUDIT_TABLE = "core_auditevent"
MAINTENANCE_DB = "postgres"
PG_BIN = Path("/usr/bin")
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_NAME = 63
SESSION = (
    "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; "
    "SET extra_float_digits = 3; SET bytea_output = 'hex'; SET statement_timeout = 0"
)
MOD64 = 1 << 64


class DrillRefusedError(Exception):
    """The drill will not run (wrong database engine, bad or existing target name)."""


class DrillError(Exception):
    """A step of the drill (pg_dump, pg_restore) failed."""


# --- connections --------------------------------------------------------------------------


def ensure_postgresql(db: Mapping[str, Any]) -> None:
    engine = db.get("ENGINE", "")
    if "postgresql" not in engine:
        raise DrillRefusedError(
            f"备份演练只适用于 PostgreSQL：当前数据库引擎是 {engine or '未知'}"
            "（SQLite 请直接复制数据库文件，并停机或用 sqlite3 .backup）"
        )


_SSL_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
}


def _conninfo(db: Mapping[str, Any], dbname: str) -> dict[str, Any]:
    info: dict[str, Any] = {"dbname": dbname, "application_name": "jiceng-backup-drill"}
    for key, name in (("HOST", "host"), ("PORT", "port"), ("USER", "user")):
        if db.get(key):
            info[name] = str(db[key])
    if db.get("PASSWORD"):
        info["password"] = db["PASSWORD"]
    options = db.get("OPTIONS") or {}
    info.update({k: v for k, v in options.items() if k in _SSL_ENV})
    return info


def client_env(db: Mapping[str, Any], dbname: str) -> dict[str, str]:
    """The environment for pg_dump/pg_restore: the connection, the password in ``PGPASSWORD``
    (never on the command line, where ``ps`` would show it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["PGDATABASE"] = dbname
    env["PGAPPNAME"] = "jiceng-backup-drill"
    for key, name in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if db.get(key):
            env[name] = str(db[key])
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    for key, name in _SSL_ENV.items():
        value = (db.get("OPTIONS") or {}).get(key)
        if value:
            env[name] = str(value)
    return env


def connect(db: Mapping[str, Any], dbname: str | None = None, **kwargs: Any) -> psycopg.Connection:
    return psycopg.connect(**_conninfo(db, dbname or db["NAME"]), **kwargs)


def _read_only_snapshot(conn: psycopg.Connection) -> None:
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    conn.read_only = True


@contextmanager
def admin_connection(db: Mapping[str, Any]) -> Iterator[psycopg.Connection]:
    conn = connect(db, MAINTENANCE_DB, autocommit=True)
    try:
        yield conn
    finally:
        conn.close()


def database_exists(db: Mapping[str, Any], name: str) -> bool:
    with admin_connection(db) as conn:
        return (
            conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            is not None
        )


def default_target(source_name: str, now: datetime | None = None) -> str:
    suffix = f"_drill_{(now or timezone.localtime()).strftime('%Y%m%d%H%M%S')}"
    return source_name[: MAX_NAME - len(suffix)] + suffix


def check_target(db: Mapping[str, Any], target: str) -> None:
    if not NAME_RE.match(target) or len(target.encode()) > MAX_NAME:
        raise DrillRefusedError(
            f"演练数据库名 {target!r} 不合规：只用字母、数字和下划线，不以数字开头，至多 63 字节"
        )
    if target == db["NAME"]:
        raise DrillRefusedError("演练数据库不能是源数据库本身")
    if database_exists(db, target):
        raise DrillRefusedError(
            f"数据库 {target} 已存在：演练只恢复到为此新建的数据库，请换一个名字"
        )


def create_database(db: Mapping[str, Any], name: str) -> None:
    with admin_connection(db) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))


def drop_database(db: Mapping[str, Any], name: str) -> None:
    if name == db["NAME"]:  # never, whatever the caller says
        raise DrillRefusedError("不删除源数据库")
    with admin_connection(db) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


# --- snapshot: what is compared -----------------------------------------------------------


@dataclass(frozen=True)
class TableState:
    name: str
    kind: str  # "r" table or partition, "p" partitioned parent
    rows: int
    sum_hi: int  # sums of the two md5 halves, modulo 2**64
    sum_lo: int

    @property
    def checksum(self) -> str:
        return f"{self.sum_hi:016x}{self.sum_lo:016x}"


@dataclass
class Snapshot:
    tables: dict[str, TableState] = field(default_factory=dict)
    objects: dict[str, str] = field(default_factory=dict)  # "trigger t.name" → definition
    sequences: dict[str, int | None] = field(default_factory=dict)


TABLES = """
SELECT c.relname, c.relkind,
       coalesce(pg_get_expr(c.relpartbound, c.oid), ''),
       coalesce((SELECT p.relname FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
                 WHERE i.inhrelid = c.oid ORDER BY p.relname LIMIT 1), ''),
       coalesce((SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                                   || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END,
                                   ', ' ORDER BY a.attnum)
                 FROM pg_attribute a
                 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), ''),
       CASE WHEN c.relkind = 'p' THEN ARRAY(
           SELECT l.relname FROM pg_partition_tree(c.oid) t JOIN pg_class l ON l.oid = t.relid
           WHERE t.isleaf ORDER BY l.relname) ELSE ARRAY[]::name[] END
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %(schema)s AND c.relkind IN ('r', 'p')
ORDER BY c.relname
"""
OBJECTS = """
SELECT 'trigger ' || c.relname || '.' || t.tgname,
       pg_get_triggerdef(t.oid) || ' [' || t.tgenabled::text || ']'
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %(schema)s AND NOT t.tgisinternal
UNION ALL
SELECT 'index ' || t.relname || '.' || i.relname,
       am.amname
       || CASE WHEN x.indisunique THEN ' unique' ELSE '' END
       || CASE WHEN x.indisprimary THEN ' primary' ELSE '' END
       || ' (' || array_to_string(ARRAY(
              SELECT coalesce(a.attname::text, 'expression')
                     || coalesce(' ' || co.collname, '') || coalesce(' ' || oc.opcname, '')
              FROM generate_subscripts(x.indkey, 1) AS k(pos)
              LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[k.pos]
                                       AND x.indkey[k.pos] <> 0
              LEFT JOIN pg_collation co ON co.oid = x.indcollation[k.pos]
                                        AND co.collname <> 'default'
              LEFT JOIN pg_opclass oc ON oc.oid = x.indclass[k.pos] AND NOT oc.opcdefault
              ORDER BY k.pos), ', ') || ')'
       || CASE WHEN x.indpred IS NOT NULL THEN ' partial' ELSE '' END
       || CASE WHEN x.indisvalid THEN '' ELSE ' INVALID' END
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_am am ON am.oid = i.relam
JOIN pg_namespace n ON n.oid = i.relnamespace
WHERE n.nspname = %(schema)s
UNION ALL
SELECT 'constraint ' || coalesce(c.relname, '-') || '.' || k.conname,
       k.contype::text || ' (' || array_to_string(ARRAY(
           SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY AS u(attnum, pos)
           JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum
           ORDER BY u.pos), ', ') || ')'
       || coalesce(' references ' || f.relname, '')
       || CASE WHEN k.convalidated THEN '' ELSE ' not valid' END
FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace
LEFT JOIN pg_class c ON c.oid = k.conrelid
LEFT JOIN pg_class f ON f.oid = k.confrelid
WHERE n.nspname = %(schema)s
UNION ALL
SELECT 'function ' || p.oid::regprocedure::text, md5(pg_get_functiondef(p.oid))
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = %(schema)s AND p.prokind IN ('f', 'p')
UNION ALL
SELECT 'extension ' || extname, extversion FROM pg_extension
"""
SEQUENCES = "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = %(schema)s"
# One pass over the table; the md5 of each row's text split into two signed 64-bit halves,
# each summed exactly (numeric). See the module docstring.
CHECKSUM = """
SELECT count(*),
       coalesce(sum(('x' || substr(h, 1, 16))::bit(64)::bigint::numeric), 0),
       coalesce(sum(('x' || substr(h, 17, 16))::bit(64)::bigint::numeric), 0)
FROM (SELECT md5(ROW(r.*)::text) AS h FROM ONLY {table} AS r) AS rows
"""


def session(conn: psycopg.Connection) -> None:
    """Fix the settings a row's text depends on."""
    conn.execute(SESSION)


def sequences(conn: psycopg.Connection) -> dict[str, int | None]:
    return dict(conn.execute(SEQUENCES, {"schema": SCHEMA}).fetchall())


def snapshot(
    conn: psycopg.Connection,
    *,
    on_start: Callable[[int], None] | None = None,
    on_table: Callable[[str], None] | None = None,
) -> Snapshot:
    """Read everything that is compared, in the connection's current transaction."""
    session(conn)
    snap = Snapshot()
    tables = conn.execute(TABLES, {"schema": SCHEMA}).fetchall()
    leaves = [row for row in tables if row[1] == "r"]
    if on_start:
        on_start(len(leaves))
    for name, kind, bound, parent, columns, _ in tables:
        snap.objects[f"table {name}"] = (
            f"{'partitioned ' if kind == 'p' else ''}({columns})"
            + (f" partition of {parent} {bound}" if bound else "")
            + (f" inherits {parent}" if parent and not bound else "")
        )
    for name, *_ in leaves:
        query = sql.SQL(CHECKSUM).format(table=sql.Identifier(SCHEMA, name))
        rows, hi, lo = conn.execute(query).fetchone()  # type: ignore[misc]
        snap.tables[name] = TableState(name, "r", int(rows), int(hi) % MOD64, int(lo) % MOD64)
        if on_table:
            on_table(name)
    for name, kind, _, _, _, children in tables:
        if kind == "p":
            parts = [snap.tables[c] for c in children if c in snap.tables]
            snap.tables[name] = TableState(
                name,
                "p",
                sum(p.rows for p in parts),
                sum(p.sum_hi for p in parts) % MOD64,
                sum(p.sum_lo for p in parts) % MOD64,
            )
    for key, definition in conn.execute(OBJECTS, {"schema": SCHEMA}).fetchall():
        snap.objects[key] = definition
    snap.sequences = sequences(conn)
    return snap


# --- comparison ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TableMatch:
    name: str
    kind: str
    source_rows: int | None
    restored_rows: int | None
    source_checksum: str
    restored_checksum: str

    @property
    def ok(self) -> bool:
        return (
            self.source_rows is not None
            and self.source_rows == self.restored_rows
            and self.source_checksum == self.restored_checksum
        )


@dataclass
class Comparison:
    tables: list[TableMatch]
    differences: list[str]  # every mismatch, in words (tables, objects, sequences)
    objects_compared: int = 0
    sequences_compared: int = 0

    @property
    def ok(self) -> bool:
        return not self.differences


def _seq_key(value: int | None) -> float:
    return float("-inf") if value is None else value


def compare(
    source: Snapshot,
    restored: Snapshot,
    *,
    source_sequences_after: Mapping[str, int | None] | None = None,
) -> Comparison:
    """Compare two snapshots. With ``source_sequences_after`` (read after the dump), a restored
    sequence may lie anywhere between the source's values before (``source.sequences``) and
    after; without it they must be equal."""
    tables: list[TableMatch] = []
    differences: list[str] = []
    for name in sorted(source.tables.keys() | restored.tables.keys()):
        a, b = source.tables.get(name), restored.tables.get(name)
        match = TableMatch(
            name,
            (a or b).kind,  # type: ignore[union-attr]
            a.rows if a else None,
            b.rows if b else None,
            a.checksum if a else "",
            b.checksum if b else "",
        )
        tables.append(match)
        if a is None:
            differences.append(f"表 {name}：源库中没有，恢复库中多出")
        elif b is None:
            differences.append(f"表 {name}：恢复库中缺失")
        elif a.rows != b.rows:
            differences.append(f"表 {name}：行数不同（源 {a.rows:,}，恢复 {b.rows:,}）")
        elif a.checksum != b.checksum:
            differences.append(f"表 {name}：行数相同（{a.rows:,}）但内容校验和不同")
    for key in sorted(source.objects.keys() | restored.objects.keys()):
        a_def, b_def = source.objects.get(key), restored.objects.get(key)
        if a_def is None:
            differences.append(f"{key}：恢复库中多出")
        elif b_def is None:
            differences.append(f"{key}：恢复库中缺失")
        elif a_def != b_def:
            differences.append(f"{key}：定义不同（源 {a_def}；恢复 {b_def}）")
    after = source_sequences_after if source_sequences_after is not None else source.sequences
    for name in sorted(source.sequences.keys() | restored.sequences.keys() | after.keys()):
        if name not in restored.sequences:
            differences.append(f"序列 {name}：恢复库中缺失")
            continue
        if name not in source.sequences:
            differences.append(f"序列 {name}：恢复库中多出")
            continue
        low, high = source.sequences[name], after.get(name, source.sequences[name])
        value = restored.sequences[name]
        if not _seq_key(low) <= _seq_key(value) <= _seq_key(high):
            seen = f"{low}" if low == high else f"{low}…{high}"
            differences.append(f"序列 {name}：当前值不同（源 {seen}，恢复 {value}）")
    return Comparison(
        tables,
        differences,
        objects_compared=len(source.objects),
        sequences_compared=len(source.sequences),
    )


def compare_databases(source: Mapping[str, Any], restored_name: str) -> Comparison:
    """Compare the source database with another database on the same server, now."""
    with (
        connect(source) as a,
        connect(source, restored_name) as b,
        ThreadPoolExecutor(2) as pool,
    ):
        for conn in (a, b):
            _read_only_snapshot(conn)
        snap_a, snap_b = pool.submit(snapshot, a), pool.submit(snapshot, b)
        return compare(snap_a.result(), snap_b.result())


# --- the audit table is still append-only -------------------------------------------------


@dataclass(frozen=True)
class AppendOnlyProof:
    table: str
    outcomes: dict[str, str]  # operation → "refused: <message>" / "ALLOWED" / "not tried: …"

    @property
    def ok(self) -> bool:
        return all(o.startswith(("refused", "not tried")) for o in self.outcomes.values())

    @property
    def proven(self) -> bool:
        return self.ok and all(o.startswith("refused") for o in self.outcomes.values())


def prove_append_only(conn: psycopg.Connection, table: str = AUDIT_TABLE) -> AppendOnlyProof:
    """Try UPDATE and DELETE of one audit row, and TRUNCATE, each in a savepoint of a
    transaction that is rolled back whatever happens: each must be refused by the triggers."""
    outcomes: dict[str, str] = {}
    name = sql.Identifier(SCHEMA, table)
    exists = conn.execute("SELECT to_regclass(%s)", [f"{SCHEMA}.{table}"]).fetchone()
    if not exists or exists[0] is None:
        return AppendOnlyProof(table, {"table": "missing in the restored database"})
    try:
        with conn.transaction():
            row = conn.execute(sql.SQL("SELECT id FROM {} LIMIT 1").format(name)).fetchone()
            statements = {
                "UPDATE": sql.SQL("UPDATE {} SET id = id WHERE id = %s").format(name),
                "DELETE": sql.SQL("DELETE FROM {} WHERE id = %s").format(name),
                "TRUNCATE": sql.SQL("TRUNCATE {}").format(name),
            }
            for op, statement in statements.items():
                if op != "TRUNCATE" and row is None:
                    outcomes[op] = "not tried: the table is empty"
                    continue
                try:
                    with conn.transaction():
                        conn.execute(statement, [row[0]] if op != "TRUNCATE" else None)  # type: ignore[index]
                    outcomes[op] = "ALLOWED"
                except psycopg.errors.RaiseException as exc:  # the trigger's RAISE
                    outcomes[op] = f"refused: {exc.diag.message_primary}"
                except psycopg.Error as exc:
                    outcomes[op] = f"ERROR: {exc.diag.message_primary or exc}"
            raise psycopg.Rollback
    except psycopg.Rollback:  # pragma: no cover - conn.transaction() swallows it
        pass
    return AppendOnlyProof(table, outcomes)


# --- dump and restore ---------------------------------------------------------------------


@dataclass
class Progress:
    """Callbacks of the drill's steps (the command draws them with rich)."""

    start: Callable[[str, int], None] = lambda step, total: None
    advance: Callable[[str, str], None] = lambda step, item: None
    finish: Callable[[str], None] = lambda step: None


def _tool(name: str) -> str:
    path = PG_BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if not found:
        raise DrillError(f"找不到 {name}（PostgreSQL 客户端工具）")
    return found


def _run_verbose(
    argv: list[str], env: dict[str, str], on_line: Callable[[str], None], what: str
) -> None:
    """Run a pg tool with ``--verbose``, passing each stderr line to ``on_line``; on failure
    raise with the tool's error lines."""
    errors: list[str] = []
    with subprocess.Popen(  # noqa: S603 - the pg tools from PG_BIN, arguments built here
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    ) as proc:
        for line in proc.stderr or ():
            line = line.rstrip()
            if "error" in line or "warning" in line or "DETAIL" in line or "FATAL" in line:
                errors.append(line)
            on_line(line)
        code = proc.wait()
    if code != 0:
        detail = "\n".join(errors[-15:]) or "(没有错误输出)"
        raise DrillError(f"{what} 失败（退出码 {code}）：\n{detail}")


DUMP_LINE = re.compile(r'dumping contents of table "?([^"]+)"?')
RESTORE_LINE = re.compile(r"(processing data for table|creating [A-Z]|finished item)")


def dump(
    db: Mapping[str, Any],
    path: Path,
    *,
    snapshot_id: str | None = None,
    tables: int = 0,
    progress: Progress | None = None,
) -> None:
    progress = progress or Progress()
    argv = [_tool("pg_dump"), "--format=custom", "--verbose", f"--file={path}"]
    if snapshot_id:
        argv.append(f"--snapshot={snapshot_id}")
    progress.start("dump", tables)

    def line(text: str) -> None:
        m = DUMP_LINE.search(text)
        if m:
            progress.advance("dump", m.group(1))

    _run_verbose(argv, client_env(db, db["NAME"]), line, "pg_dump")
    path.chmod(0o600)
    progress.finish("dump")


def restore(
    db: Mapping[str, Any],
    path: Path,
    target: str,
    *,
    jobs: int = 2,
    progress: Progress | None = None,
) -> None:
    progress = progress or Progress()
    env = client_env(db, target)
    listing = subprocess.run(  # noqa: S603 - pg_restore from PG_BIN, arguments built here
        [_tool("pg_restore"), "--list", str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    entries = sum(1 for x in listing.splitlines() if x.strip() and not x.startswith(";"))
    progress.start("restore", entries)
    argv = [_tool("pg_restore"), "--exit-on-error", "--no-owner", "--verbose", f"--dbname={target}"]
    if jobs > 1:  # a custom-format file (not stdin), no --single-transaction: -j is allowed
        argv.append(f"--jobs={jobs}")
    argv.append(str(path))

    def line(text: str) -> None:
        if RESTORE_LINE.search(text):
            progress.advance("restore", text.split(":", 1)[-1].strip()[:60])

    _run_verbose(argv, env, line, "pg_restore")
    progress.finish("restore")


# --- the drill ----------------------------------------------------------------------------


@dataclass
class DrillReport:
    source: str
    target: str
    dump_path: Path
    dump_bytes: int
    comparison: Comparison
    append_only: AppendOnlyProof
    timings: dict[str, float]
    kept: bool
    dump_kept: bool

    @property
    def ok(self) -> bool:
        return self.comparison.ok and self.append_only.ok


def run_drill(
    db: Mapping[str, Any],
    *,
    output: Path | None = None,
    target: str | None = None,
    keep: bool = False,
    jobs: int = 2,
    progress: Progress | None = None,
) -> DrillReport:
    """Dump ``db``, restore into a new database ``target``, compare, prove the audit table
    append-only, and drop ``target`` unless ``keep``. The dump is written to ``output`` (kept)
    or to a private temporary directory (removed)."""
    ensure_postgresql(db)
    progress = progress or Progress()
    target = target or default_target(db["NAME"])
    check_target(db, target)
    timings: dict[str, float] = {}
    tmpdir = None
    if output is None:
        tmpdir = Path(tempfile.mkdtemp(prefix="jiceng-drill-"))
        path = tmpdir / f"{db['NAME']}.dump"
    else:
        path = output / f"{db['NAME']}.dump" if output.is_dir() else output
        path.parent.mkdir(parents=True, exist_ok=True)
    created = False
    try:
        with connect(db) as src:
            _read_only_snapshot(src)
            snapshot_id = src.execute("SELECT pg_export_snapshot()").fetchone()[0]  # type: ignore[index]
            session(src)
            seq_before = sequences(src)
            leaves = src.execute(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
                " AND n.nspname NOT LIKE 'pg_toast%%'"
            ).fetchone()[0]  # type: ignore[index]
            t0 = time.monotonic()
            dump(db, path, snapshot_id=snapshot_id, tables=leaves, progress=progress)
            timings["pg_dump"] = time.monotonic() - t0
            seq_after = sequences(src)
            t0 = time.monotonic()
            create_database(db, target)
            created = True
            timings["createdb"] = time.monotonic() - t0
            t0 = time.monotonic()
            # The source is read (in the dump's snapshot) while pg_restore runs.
            source_snap: dict[str, Snapshot] = {}
            source_error: list[Exception] = []
            lock = threading.Lock()

            def read_source() -> None:
                try:
                    snap = snapshot(
                        src,
                        on_start=lambda n: progress.start("source", n),
                        on_table=lambda name: progress.advance("source", name),
                    )
                except Exception as exc:  # reported by the main thread
                    with lock:
                        source_error.append(exc)
                    return
                with lock:
                    source_snap["snap"] = snap

            reader = threading.Thread(target=read_source, name="drill-source")
            reader.start()
            try:
                restore(db, path, target, jobs=jobs, progress=progress)
                timings["pg_restore"] = time.monotonic() - t0
            finally:
                reader.join()
            progress.finish("source")
            if source_error:
                raise DrillError(f"读取源数据库失败：{source_error[0]}") from source_error[0]
            timings["source checksums (during pg_restore)"] = time.monotonic() - t0
        t0 = time.monotonic()
        with connect(db, target) as dst:
            _read_only_snapshot(dst)
            restored = snapshot(
                dst,
                on_start=lambda n: progress.start("restored", n),
                on_table=lambda name: progress.advance("restored", name),
            )
            dst.rollback()
            progress.finish("restored")
            timings["restored checksums"] = time.monotonic() - t0
            # A restored sequence lies between the source's values before and after the dump.
            comparison = compare(
                Snapshot(source_snap["snap"].tables, source_snap["snap"].objects, seq_before),
                restored,
                source_sequences_after=seq_after,
            )
        with connect(db, target, autocommit=True) as dst:
            proof = prove_append_only(dst)
        size = path.stat().st_size
    finally:
        if created and not keep:
            t0 = time.monotonic()
            drop_database(db, target)
            timings["drop"] = time.monotonic() - t0
        if tmpdir is not None:
            shutil.rmtree(tmpdir, ignore_errors=True)
    return DrillReport(
        source=db["NAME"],
        target=target,
        dump_path=path,
        dump_bytes=size,
        comparison=comparison,
        append_only=proof,
        timings=timings,
        kept=keep,
        dump_kept=tmpdir is None,
    )
