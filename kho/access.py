"""Per-agency access to the marts: a PostgreSQL role per sector agency reading the `shared_*` marts through
forced row-level security, and a read-only public role reading only the `open_*` marts (docs/access.md).

`apply_access` is idempotent and runs after every dbt build: dbt rebuilds a table with `create table … as` and a
rename, which leaves the new table without its policies and grants (closed to every role but the pipeline's until
access is applied again)."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import psycopg
from psycopg import sql

from kho.settings import PROJECT_DIR, Settings, read_config
from kho.warehouse import Warehouse, open_warehouse

log = logging.getLogger(__name__)

DEFAULT_CONFIG = "access.toml"  # at the project root; KHO_ACCESS_CONFIG names another file
MARTS = "marts"
ACCESS = "access"
SHARED_PREFIX = "shared_"
OPEN_PREFIX = "open_"
POLICY_COLUMN = "agency_code"
PIPELINE_POLICY = "kho_pipeline_all"
AGENCY_POLICY = "kho_agency_entitled_rows"
# Schemas no agency or public role may read, whatever was granted by hand: apply revokes there.
CLOSED_SCHEMAS = ("raw", "staging", "intermediate", "warehouse", "ingest", "reference", "snapshots", "quality")
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
AGENCY_CODE = re.compile(r"^[A-Z0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}$")


class AccessError(RuntimeError):
    """The configuration or the marts do not allow access to be applied safely; nothing was changed."""


@dataclass(frozen=True)
class AgencyAccess:
    role: str
    name: str
    agency_codes: tuple[str, ...]  # the agency's own identifiers (a successor agency lists its predecessors')
    entitled_codes: tuple[str, ...] = ()  # other agencies' rows it may read
    include_subordinates: bool = False  # and every agency below those, by warehouse.dim_agencies' parents
    all_agencies: bool = False  # every row (e.g. the office of the provincial People's Committee)
    password_env: str | None = None  # environment variable holding the role's password; unset → no password


@dataclass(frozen=True)
class AccessConfig:
    public_role: str
    agencies: tuple[AgencyAccess, ...]
    public_password_env: str | None = None
    source: str = ""  # where it was read from

    @property
    def roles(self) -> tuple[str, ...]:
        return (self.public_role, *(a.role for a in self.agencies))


def config_path(env: Mapping[str, str] | None = None, project_dir: Path | None = None) -> Path:
    """KHO_ACCESS_CONFIG (environment or kho.toml), else access.toml at the project root."""
    values = read_config(os.environ if env is None else env)
    if values.get("KHO_ACCESS_CONFIG"):
        return Path(values["KHO_ACCESS_CONFIG"])
    return (project_dir or PROJECT_DIR) / DEFAULT_CONFIG


def load_config(path: Path | None = None) -> AccessConfig:
    """Read and check the access configuration (TOML); every mistake is reported at once."""
    path = path or config_path()
    if not path.is_file():
        raise AccessError(f"access configuration {path} does not exist (set KHO_ACCESS_CONFIG or create it; "
                          "see docs/access.md)")
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    return parse_config(data, source=str(path))


def parse_config(data: Mapping[str, Any], source: str = "") -> AccessConfig:
    problems: list[str] = []
    public = data.get("public") or {}
    public_role = str(public.get("role", ""))
    agencies = []
    for i, entry in enumerate(data.get("agencies") or []):
        agency = AgencyAccess(
            role=str(entry.get("role", "")),
            name=str(entry.get("name", "")),
            agency_codes=tuple(entry.get("agency_codes") or ()),
            entitled_codes=tuple(entry.get("entitled_agency_codes") or ()),
            include_subordinates=bool(entry.get("include_subordinates", False)),
            all_agencies=bool(entry.get("all_agencies", False)),
            password_env=entry.get("password_env"),
        )
        if not agency.agency_codes:
            problems.append(f"agencies[{i}] ({agency.role or 'no role'}): agency_codes is empty")
        for code in agency.agency_codes + agency.entitled_codes:
            if not AGENCY_CODE.match(code):
                problems.append(f"agencies[{i}] ({agency.role}): {code!r} is not an agency identifier "
                                "(QCVN 102:2016, e.g. 000.00.15.H37)")
        agencies.append(agency)
    config = AccessConfig(public_role=public_role, agencies=tuple(agencies),
                          public_password_env=public.get("password_env"), source=source)
    for role in config.roles:
        if not ROLE_NAME.match(role):
            problems.append(f"role name {role!r} must be lower-case letters, digits and _ (a plain PostgreSQL name)")
    duplicates = sorted({r for r in config.roles if config.roles.count(r) > 1})
    if duplicates:
        problems.append(f"role names used twice: {', '.join(duplicates)}")
    if problems:
        raise AccessError(f"access configuration {source or '(inline)'}: " + "; ".join(problems))
    return config


# --- Applying -----------------------------------------------------------------------------------------------

@dataclass
class MartTable:
    name: str
    kind: str  # relkind: r table, p partitioned, v view, m materialized view
    has_agency_code: bool

    @property
    def is_shared(self) -> bool:
        return self.name.startswith(SHARED_PREFIX)

    @property
    def is_open(self) -> bool:
        return self.name.startswith(OPEN_PREFIX)

    @property
    def agency_scoped(self) -> bool:
        """Rows belong to agencies: row-level security applies (open marts are public by design)."""
        return self.is_shared or (self.has_agency_code and not self.is_open)


@dataclass
class AccessReport:
    pipeline_role: str
    roles_created: list[str] = field(default_factory=list)
    shared_tables: list[str] = field(default_factory=list)
    other_protected_tables: list[str] = field(default_factory=list)
    open_tables: list[str] = field(default_factory=list)
    entitlements: dict[str, int] = field(default_factory=dict)  # role → agency codes it may read
    roles_retired: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"pipeline_role": self.pipeline_role, "roles_created": self.roles_created,
                "shared_tables": self.shared_tables, "other_protected_tables": self.other_protected_tables,
                "open_tables": self.open_tables, "entitlements": self.entitlements,
                "roles_retired": self.roles_retired, "notes": self.notes, "seconds": round(self.seconds, 2)}


def marts_tables(conn: psycopg.Connection) -> list[MartTable]:
    """Every relation in schema marts, read from the catalog (never a hard-coded list)."""
    rows = conn.execute(
        """
        select c.relname, c.relkind,
               exists (select 1 from pg_attribute a
                       where a.attrelid = c.oid and a.attname = %s and a.attnum > 0 and not a.attisdropped)
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = %s and c.relkind in ('r', 'p', 'v', 'm')
        order by c.relname
        """, (POLICY_COLUMN, MARTS)).fetchall()
    return [MartTable(name, kind, has_code) for name, kind, has_code in rows]


def check_marts(tables: list[MartTable]) -> None:
    """Refuse marts that row-level security cannot protect, naming each and its fix."""
    problems = []
    for table in tables:
        if table.is_shared and not table.has_agency_code:
            problems.append(
                f"{MARTS}.{table.name} has no column {POLICY_COLUMN}: every shared_* mart must name the agency each "
                f"row belongs to. Fix: add `{POLICY_COLUMN}` (text, QCVN 102:2016 identifier) to "
                f"dbt_project/models/marts/shared/{table.name}.sql and its YAML, or rename the mart if it is "
                "not meant for agencies")
        elif table.agency_scoped and table.kind not in ("r", "p"):
            problems.append(
                f"{MARTS}.{table.name} is a {'view' if table.kind == 'v' else 'materialized view'}: row-level "
                "security applies only to tables. Fix: materialize it as a table (config materialized='table')")
    if problems:
        raise AccessError("access not applied (every agency role stays closed out of the new tables):\n- "
                          + "\n- ".join(problems))


T = TypeVar("T")


def _retrying(action: Callable[[], T], attempts: int = 5) -> T:
    # Roles are cluster-wide: another database's apply (a parallel test, a second warehouse) may create or alter
    # the same role at the same moment; the loser of that race sees a duplicate or "tuple concurrently updated".
    for attempt in range(attempts):
        try:
            return action()
        except (psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation, psycopg.errors.InternalError_):
            if attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def _ensure_role(conn: psycopg.Connection, role: str, password_env: str | None, env: Mapping[str, str],
                 member_of: str | None) -> bool:
    """Create the login role if missing; refuse one that row-level security would not bind. True if created."""
    ident = sql.Identifier(role)

    def create_if_missing() -> bool:
        # Looked up again on every attempt: after a lost race the role exists and there is nothing to create.
        if conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone():
            return False
        conn.execute(sql.SQL(
            "create role {} login nosuperuser nocreatedb nocreaterole inherit nobypassrls noreplication"
        ).format(ident))
        return True

    try:
        created = _retrying(create_if_missing)
    except psycopg.errors.InsufficientPrivilege:
        raise AccessError(f"role {role} does not exist and the pipeline role may not create roles. Fix: "
                          f"create it once as an administrator (create role {role} login) or grant the "
                          "pipeline role CREATEROLE") from None
    row = conn.execute("select rolsuper, rolbypassrls from pg_roles where rolname = %s", (role,)).fetchone()
    if row[0] or row[1]:
        raise AccessError(f"role {role} is {'a superuser' if row[0] else 'BYPASSRLS'}: row-level security would not "
                          f"bind it. Fix: alter role {role} nosuperuser nobypassrls (or name another role)")
    if password_env and env.get(password_env):
        _retrying(lambda: conn.execute(sql.SQL("alter role {} password {}").format(
            ident, sql.Literal(env[password_env]))))
    # Belt and braces: even a mistaken grant cannot let these sessions write.
    read_only = conn.execute(
        "select 1 from pg_db_role_setting s join pg_roles r on r.oid = s.setrole "
        "where r.rolname = %s and s.setdatabase = 0 and 'default_transaction_read_only=on' = any(s.setconfig)",
        (role,)).fetchone()
    if not read_only:
        _retrying(lambda: conn.execute(sql.SQL("alter role {} set default_transaction_read_only = on").format(ident)))
    if member_of and not conn.execute("select pg_has_role(%s, %s, 'member')", (role, member_of)).fetchone()[0]:
        _retrying(lambda: conn.execute(sql.SQL("grant {} to {}").format(sql.Identifier(member_of), ident)))
    return created


def _entitlement_rows(conn: psycopg.Connection, config: AccessConfig, tables: list[MartTable],
                      report: AccessReport) -> list[tuple[str, str, str]]:
    """(role, agency_code, why) for every role: its own codes, those it is entitled to, their subordinates."""
    has_dim = conn.execute("select to_regclass('warehouse.dim_agencies') is not null").fetchone()[0]
    # "All agencies" is expanded here into every code that exists, so the policy stays one `in (select …)`; the
    # marts only change in a build, and access is applied after every build.
    known: set[str] = set()
    if has_dim:
        known |= {r[0] for r in conn.execute("select distinct agency_code from warehouse.dim_agencies")}
    for table in tables:
        if table.agency_scoped:
            known |= {r[0] for r in conn.execute(sql.SQL("select distinct {} from {}.{} where {} is not null").format(
                sql.Identifier(POLICY_COLUMN), sql.Identifier(MARTS), sql.Identifier(table.name),
                sql.Identifier(POLICY_COLUMN)))}
    rows: dict[tuple[str, str], str] = {}
    for agency in config.agencies:
        if agency.all_agencies:
            for code in known:
                rows[(agency.role, code)] = "all agencies"
        for code in agency.entitled_codes:
            rows.setdefault((agency.role, code), "entitled")
        for code in agency.agency_codes:
            rows[(agency.role, code)] = "own"
        if agency.include_subordinates:
            if not has_dim:
                report.notes.append(f"{agency.role}: include_subordinates needs warehouse.dim_agencies, which is not "
                                    "built yet; only the listed codes apply")
                continue
            below = conn.execute(
                """
                with recursive subordinates as (
                    select agency_code from warehouse.dim_agencies where parent_agency_code = any(%s)
                    union
                    select d.agency_code from warehouse.dim_agencies d
                    join subordinates s on d.parent_agency_code = s.agency_code
                )
                select agency_code from subordinates
                """, (list(agency.agency_codes + agency.entitled_codes),)).fetchall()
            for (code,) in below:
                rows.setdefault((agency.role, code), "subordinate")
    return [(role, code, why) for (role, code), why in sorted(rows.items())]


def _check_default_privileges(conn: psycopg.Connection, config: AccessConfig) -> None:
    # Default privileges would grant on a table the moment dbt creates it, before any policy exists: the window
    # between the rebuild and apply would leak. Apply refuses to run with such a default in place.
    rows = conn.execute(
        """
        select coalesce(n.nspname, '(every schema)'), pg_get_userbyid(d.defaclrole),
               case when a.grantee = 0 then 'PUBLIC' else pg_get_userbyid(a.grantee)::text end
        from pg_default_acl d
        left join pg_namespace n on n.oid = d.defaclnamespace
        cross join lateral aclexplode(d.defaclacl) a
        where d.defaclobjtype = 'r' and (n.nspname is null or n.nspname = %s)
          and (a.grantee = 0 or pg_get_userbyid(a.grantee) = any(%s))
        """, (MARTS, list(config.roles))).fetchall()
    if rows:
        found = ", ".join(f"{schema} by {owner} to {grantee}" for schema, owner, grantee in rows)
        raise AccessError(f"default privileges grant new tables in {MARTS} ({found}): a rebuilt table would be "
                          "readable before its policies exist. Fix: alter default privileges … revoke all on tables "
                          "from those roles")


def apply_access(warehouse: Warehouse, config: AccessConfig, env: Mapping[str, str] | None = None) -> AccessReport:
    """Create the roles, rewrite the entitlements, and protect every mart; safe to run any number of times."""
    started = time.perf_counter()
    env = os.environ if env is None else env
    with warehouse.connect(autocommit=True) as conn:
        pipeline = conn.execute("select current_user").fetchone()[0]
        report = AccessReport(pipeline_role=pipeline)
        if pipeline in config.roles:
            raise AccessError(f"the pipeline connects as {pipeline}, which the access configuration names as a "
                              "reader role; the pipeline needs a role of its own")
        tables = marts_tables(conn) if conn.execute("select to_regnamespace(%s) is not null",
                                                    (MARTS,)).fetchone()[0] else []
        check_marts(tables)
        # Roles first, each statement on its own (cluster-wide catalogs, shared with other databases).
        if _ensure_role(conn, config.public_role, config.public_password_env, env, None):
            report.roles_created.append(config.public_role)
        for agency in config.agencies:
            # Agencies read the open marts too, through the public role.
            if _ensure_role(conn, agency.role, agency.password_env, env, config.public_role):
                report.roles_created.append(agency.role)
        conn.autocommit = False
        with conn.transaction():
            _check_default_privileges(conn, config)
            _apply_in_database(conn, config, tables, report)
        conn.autocommit = True
    report.seconds = time.perf_counter() - started
    return report


def _apply_in_database(conn: psycopg.Connection, config: AccessConfig, tables: list[MartTable],
                       report: AccessReport) -> None:
    def run(statement: sql.Composable) -> None:
        conn.execute(statement)

    public = sql.Identifier(config.public_role)
    agency_roles = [a.role for a in config.agencies]
    agencies = sql.SQL(", ").join(sql.Identifier(r) for r in agency_roles)
    readers = sql.SQL(", ").join(sql.Identifier(r) for r in config.roles)
    access = sql.Identifier(ACCESS)
    marts = sql.Identifier(MARTS)

    run(sql.SQL("create schema if not exists {}").format(access))
    run(sql.SQL("""create table if not exists {}.agency_entitlements (
        role_name text not null, agency_code text not null, reason text not null,
        primary key (role_name, agency_code))""").format(access))
    run(sql.SQL("comment on table {}.agency_entitlements is {}").format(access, sql.Literal(
        "Which agencies' rows each agency role may read in the shared_* marts; rewritten from the access "
        "configuration by kho access apply. | Quyền xem dữ liệu của từng cơ quan.")))
    run(sql.SQL("""create table if not exists {}.managed_roles (
        role_name text primary key, kind text not null)""").format(access))

    # Roles configured before and since removed keep their login (cluster-wide, maybe used elsewhere) but lose
    # everything here.
    previous = {r[0] for r in conn.execute(sql.SQL("select role_name from {}.managed_roles").format(access))}
    for role in sorted(previous - set(config.roles)):
        if conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone():
            ident = sql.Identifier(role)
            for schema in (MARTS, ACCESS):
                run(sql.SQL("revoke all on all tables in schema {} from {}").format(sql.Identifier(schema), ident))
                run(sql.SQL("revoke all on schema {} from {}").format(sql.Identifier(schema), ident))
        report.roles_retired.append(role)
    run(sql.SQL("delete from {}.managed_roles").format(access))
    with conn.cursor() as cursor:
        cursor.executemany(sql.SQL("insert into {}.managed_roles values (%s, %s)").format(access),
                           [(config.public_role, "public")] + [(r, "agency") for r in agency_roles])

    rows = _entitlement_rows(conn, config, tables, report)
    run(sql.SQL("delete from {}.agency_entitlements").format(access))
    with conn.cursor() as cursor:
        cursor.executemany(sql.SQL("insert into {}.agency_entitlements values (%s, %s, %s)").format(access), rows)
    report.entitlements = {role: sum(1 for r in rows if r[0] == role) for role in agency_roles}

    # Nothing in the access schema is readable but an agency's own entitlement rows.
    run(sql.SQL("revoke all on schema {} from public").format(access))
    run(sql.SQL("revoke all on all tables in schema {} from public, {}").format(access, readers))
    _protect(conn, f"{ACCESS}.agency_entitlements", "role_name", report.pipeline_role, agency_roles,
             sql.SQL("role_name = current_user"))
    if agency_roles:
        run(sql.SQL("grant usage on schema {} to {}").format(access, agencies))
        run(sql.SQL("grant select on {}.agency_entitlements to {}").format(access, agencies))

    # Other schemas: whatever was granted by hand to a reader role is taken back.
    for (schema,) in conn.execute("select nspname from pg_namespace where nspname = any(%s)",
                                  (list(CLOSED_SCHEMAS),)).fetchall():
        # PUBLIC too: every reader role is a member of it.
        run(sql.SQL("revoke all on all tables in schema {} from public, {}").format(sql.Identifier(schema), readers))
        run(sql.SQL("revoke all on schema {} from {}").format(sql.Identifier(schema), readers))

    if not tables:
        report.notes.append(f"schema {MARTS} does not exist yet: only roles and entitlements were applied")
        return
    run(sql.SQL("grant usage on schema {} to {}").format(marts, public))
    run(sql.SQL("revoke create on schema {} from public, {}").format(marts, readers))
    entitled = sql.SQL("{} in (select e.agency_code from {}.agency_entitlements as e "
                       "where e.role_name = current_user)").format(sql.Identifier(POLICY_COLUMN), access)
    for table in tables:
        qualified = sql.SQL("{}.{}").format(marts, sql.Identifier(table.name))
        # Readers never write, whatever a hand-made grant said; then each gets what its kind allows.
        run(sql.SQL("revoke all on {} from public, {}").format(qualified, readers))
        if table.agency_scoped:
            _protect(conn, f"{MARTS}.{table.name}", POLICY_COLUMN, report.pipeline_role, agency_roles, entitled)
            if table.is_shared:
                report.shared_tables.append(table.name)
                if agency_roles:
                    run(sql.SQL("grant select on {} to {}").format(qualified, agencies))
            else:
                report.other_protected_tables.append(table.name)
        elif table.is_open:
            report.open_tables.append(table.name)
            run(sql.SQL("grant select on {} to {}").format(qualified, public))


def _index_name(table: str, column: str) -> str:
    name = f"{table}_{column}_idx"
    # PostgreSQL cuts names at 63 bytes; a long name keeps a digest of the whole so two tables never collide.
    return name if len(name) <= 63 else f"{table[:40]}_{hashlib.md5(table.encode()).hexdigest()[:8]}_{column[:8]}_idx"


def _protect(conn: psycopg.Connection, qualified_name: str, column: str, pipeline_role: str,
             agency_roles: list[str], condition: sql.Composable) -> None:
    """Forced row-level security, the pipeline's own policy, the agencies' policy, and an index on its column."""
    schema, table = qualified_name.split(".", 1)
    target = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table))
    conn.execute(sql.SQL("alter table {} enable row level security").format(target))
    # Forced: the owner is bound too, so a mistake in ownership does not open the rows.
    conn.execute(sql.SQL("alter table {} force row level security").format(target))
    conn.execute(sql.SQL("create index if not exists {} on {} ({})").format(
        sql.Identifier(_index_name(table, column)), target, sql.Identifier(column)))
    # Recreated on every apply, in the same transaction: readers never see a table without them.
    for policy in (PIPELINE_POLICY, AGENCY_POLICY):
        conn.execute(sql.SQL("drop policy if exists {} on {}").format(sql.Identifier(policy), target))
    # The pipeline (the role dbt builds as, usually the owner) reads and rewrites every row: forced RLS without
    # this policy would hand it empty tables, silently, in any model or test that reads a mart.
    conn.execute(sql.SQL("create policy {} on {} as permissive for all to {} using (true) with check (true)").format(
        sql.Identifier(PIPELINE_POLICY), target, sql.Identifier(pipeline_role)))
    if agency_roles:
        conn.execute(sql.SQL("create policy {} on {} as permissive for select to {} using ({})").format(
            sql.Identifier(AGENCY_POLICY), target, sql.SQL(", ").join(sql.Identifier(r) for r in agency_roles),
            condition))


# --- Describing ---------------------------------------------------------------------------------------------

def describe_access(warehouse: Warehouse) -> dict[str, list[dict[str, Any]]]:
    """What the catalog says now: each mart's protection and readers, and each role's entitlements."""
    with warehouse.connect() as conn:
        tables = conn.execute(
            """
            select c.relname, c.relkind, c.relrowsecurity, c.relforcerowsecurity,
                   (select coalesce(array_agg(p.polname::text order by p.polname), '{}')
                    from pg_policy p where p.polrelid = c.oid),
                   exists (select 1 from pg_index i join pg_attribute a
                               on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
                           where i.indrelid = c.oid and a.attname = %s),
                   (select coalesce(array_agg(distinct pg_get_userbyid(g.grantee)::text), '{}')
                    from aclexplode(c.relacl) g
                    where g.privilege_type = 'SELECT' and g.grantee <> c.relowner)
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = %s and c.relkind in ('r', 'p', 'v', 'm')
            order by c.relname
            """, (POLICY_COLUMN, MARTS)).fetchall()
        entitlements = []
        if conn.execute("select to_regclass('access.agency_entitlements') is not null").fetchone()[0]:
            entitlements = conn.execute(
                "select role_name, count(*), count(*) filter (where reason = 'own'), "
                "array_agg(agency_code order by agency_code) filter (where reason = 'own') "
                "from access.agency_entitlements group by role_name order by role_name").fetchall()
    return {
        "tables": [{"table": f"{MARTS}.{name}", "kind": kind, "rls": rls, "forced": forced, "policies": list(policies),
                    "agency_code_index": indexed, "readers": sorted(readers)}
                   for name, kind, rls, forced, policies, indexed, readers in tables],
        "roles": [{"role": role, "agency_codes_readable": total, "own": own, "own_codes": list(codes or [])}
                  for role, total, own, codes in entitlements],
    }


def apply_configured_access(settings: Settings, warehouse: Warehouse | None = None) -> dict[str, Any]:
    """Apply the configured access (KHO_ACCESS_CONFIG or access.toml) to the settings' warehouse: what the
    pipeline runs right after every dbt build, and what an Airflow task after the dbt task group should call."""
    config = load_config(config_path(project_dir=settings.project_dir))
    if warehouse is not None:
        return apply_access(warehouse, config).as_dict()
    with open_warehouse(settings) as opened:
        return apply_access(opened, config).as_dict()
