"""Per-agency access, proven by logging in as each role: an agency reads only the rows it is entitled to in the
shared_* marts, the public role only the open_* marts, nobody but the pipeline writes, and every agency-scoped
table carries forced row-level security, a policy and an index on agency_code.

Roles are cluster-wide while each test has its own database: every test names its roles with a random suffix
and drops them afterwards."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from kho.access import (
    AccessConfig,
    AccessError,
    apply_access,
    apply_configured_access,
    config_path,
    describe_access,
    load_config,
    parse_config,
)
from kho.settings import PROJECT_DIR, Settings
from kho.warehouse import Warehouse

COMMITTEE = "000.00.00.H37"  # Ủy ban nhân dân tỉnh Long An
OFFICE = "000.00.01.H37"  # Văn phòng UBND tỉnh
EDUCATION = "000.00.15.H37"  # Sở Giáo dục và Đào tạo
HEALTH = "000.00.16.H37"  # Sở Y tế
DISTRICT = "000.00.31.H37"  # a district People's Committee
COMMUNE = "000.01.31.H37"  # a commune under it
ELSEWHERE = "000.00.00.H62"  # another province's committee: nobody here is entitled to it
AGENCIES = {COMMITTEE: None, OFFICE: COMMITTEE, EDUCATION: COMMITTEE, HEALTH: COMMITTEE, DISTRICT: COMMITTEE,
            COMMUNE: DISTRICT, ELSEWHERE: None}
ROWS_PER_AGENCY = 3


@dataclass(frozen=True)
class Roles:
    public: str
    health: str
    education: str
    office: str
    committee: str
    password: str
    config: AccessConfig

    @property
    def readers(self) -> tuple[str, ...]:
        return (self.public, self.health, self.education, self.office, self.committee)

    @property
    def env(self) -> dict[str, str]:
        return {"KHO_TEST_ACCESS_PASSWORD": self.password}


def make_config(suffix: str, *, without: tuple[str, ...] = ()) -> AccessConfig:
    agencies = [
        {"role": f"t{suffix}_health", "name": "Sở Y tế", "agency_codes": [HEALTH]},
        {"role": f"t{suffix}_education", "name": "Sở Giáo dục và Đào tạo", "agency_codes": [EDUCATION]},
        {"role": f"t{suffix}_office", "name": "Văn phòng UBND tỉnh", "agency_codes": [OFFICE], "all_agencies": True},
        {"role": f"t{suffix}_committee", "name": "UBND tỉnh", "agency_codes": [COMMITTEE],
         "include_subordinates": True},
    ]
    for agency in agencies:
        agency["password_env"] = "KHO_TEST_ACCESS_PASSWORD"
    return parse_config({
        "public": {"role": f"t{suffix}_public", "password_env": "KHO_TEST_ACCESS_PASSWORD"},
        "agencies": [a for a in agencies if a["role"] not in without],
    })


def drop_roles(warehouse: Warehouse, names: list[str]) -> None:
    with warehouse.connect(autocommit=True) as conn:
        existing = [r[0] for r in conn.execute("select rolname from pg_roles where rolname = any(%s)", (names,))]
        if existing:
            idents = sql.SQL(", ").join(sql.Identifier(r) for r in existing)
            conn.execute(sql.SQL("drop owned by {}").format(idents))  # this database's grants and policies
            conn.execute(sql.SQL("drop role {}").format(idents))


@pytest.fixture
def roles(warehouse: Warehouse) -> Iterator[Roles]:
    suffix = uuid.uuid4().hex[:8]
    config = make_config(suffix)
    yield Roles(f"t{suffix}_public", f"t{suffix}_health", f"t{suffix}_education", f"t{suffix}_office",
                f"t{suffix}_committee", secrets.token_hex(12), config)
    with warehouse.connect(autocommit=True) as conn:
        extra = [r[0] for r in conn.execute("select rolname from pg_roles where rolname like %s", (f"t{suffix}_%",))]
    drop_roles(warehouse, sorted(set(config.roles) | set(extra)))


def build_layers(warehouse: Warehouse) -> None:
    """A small warehouse as dbt leaves it: raw, staging, warehouse (with dim_agencies) and two kinds of marts."""
    with warehouse.connect(autocommit=True) as conn:
        for schema in ("raw", "staging", "warehouse", "marts"):
            conn.execute(f"create schema {schema}")
        conn.execute("create table raw.dossier__dossiers (ma_ho_so text, ho_ten text)")
        conn.execute("insert into raw.dossier__dossiers values ('H37-1', 'Nguyễn Văn An')")
        conn.execute("create view staging.stg_dossier__dossiers as select ma_ho_so from raw.dossier__dossiers")
        conn.execute("create table warehouse.dim_agencies (agency_code text, parent_agency_code text)")
        with conn.cursor() as cursor:
            cursor.executemany("insert into warehouse.dim_agencies values (%s, %s)", list(AGENCIES.items()))
        for table in ("shared_dossier_kpis_monthly", "shared_health_visits_monthly"):
            conn.execute(f"create table marts.{table} (month date, agency_code text, dossiers integer)")
            conn.execute(f"insert into marts.{table} select date '2025-01-01' + i * interval '1 month', code, i "
                         f"from unnest(%s::text[]) as code, generate_series(1, {ROWS_PER_AGENCY}) as i",
                         (list(AGENCIES),))
        conn.execute("create table marts.open_dossier_kpis_monthly (month date, agency_code text, dossiers integer)")
        conn.execute("insert into marts.open_dossier_kpis_monthly values ('2025-01-01', %s, 12)", (HEALTH,))


def connect_as(warehouse: Warehouse, role: str, password: str) -> psycopg.Connection:
    # A password works against a server that asks for one (KHO_DATABASE_URL); the embedded one trusts its socket.
    params = {**warehouse.params, "user": role, "password": password}
    return psycopg.connect(make_conninfo(**params), autocommit=True)


def codes_seen(warehouse: Warehouse, roles: Roles, role: str, table: str = "marts.shared_dossier_kpis_monthly"
               ) -> list[str]:
    with connect_as(warehouse, role, roles.password) as conn:
        return sorted(r[0] for r in conn.execute(f"select agency_code from {table}"))


def can_read(warehouse: Warehouse, roles: Roles, role: str, table: str) -> bool:
    with connect_as(warehouse, role, roles.password) as conn:
        try:
            conn.execute(f"select * from {table} limit 1").fetchall()
        except psycopg.errors.InsufficientPrivilege:
            return False
        return True


def each(codes: list[str]) -> list[str]:
    return sorted(code for code in codes for _ in range(ROWS_PER_AGENCY))


@pytest.fixture
def applied(warehouse: Warehouse, roles: Roles) -> Warehouse:
    build_layers(warehouse)
    apply_access(warehouse, roles.config, env=roles.env)
    return warehouse


# --- What each role reads ------------------------------------------------------------------------------------

def test_an_agency_reads_only_its_own_rows(applied: Warehouse, roles: Roles) -> None:
    assert codes_seen(applied, roles, roles.health) == each([HEALTH])
    assert codes_seen(applied, roles, roles.education) == each([EDUCATION])
    assert codes_seen(applied, roles, roles.health, "marts.shared_health_visits_monthly") == each([HEALTH])
    # A filter cannot widen it: the policy is added to whatever the agency asks.
    with connect_as(applied, roles.health, roles.password) as conn:
        (n,), = conn.execute("select count(*) from marts.shared_dossier_kpis_monthly where agency_code = %s",
                             (EDUCATION,)).fetchall()
    assert n == 0


def test_the_office_entitled_to_all_reads_every_row(applied: Warehouse, roles: Roles) -> None:
    assert codes_seen(applied, roles, roles.office) == each(list(AGENCIES))


def test_the_committee_reads_its_subordinates_down_the_agency_tree(applied: Warehouse, roles: Roles) -> None:
    # Departments and the district directly, the commune through the district; not another province.
    assert codes_seen(applied, roles, roles.committee) == each([a for a in AGENCIES if a != ELSEWHERE])


def test_an_agency_reads_the_open_marts_and_nothing_below_the_marts(applied: Warehouse, roles: Roles) -> None:
    assert can_read(applied, roles, roles.health, "marts.open_dossier_kpis_monthly")
    for table in ("raw.dossier__dossiers", "staging.stg_dossier__dossiers", "warehouse.dim_agencies"):
        assert not can_read(applied, roles, roles.health, table), table
    # Its own entitlements only, not who else reads what.
    with connect_as(applied, roles.health, roles.password) as conn:
        rows = conn.execute("select role_name, agency_code from access.agency_entitlements").fetchall()
    assert rows == [(roles.health, HEALTH)]


def test_the_public_role_reads_only_the_open_marts(applied: Warehouse, roles: Roles) -> None:
    assert codes_seen(applied, roles, roles.public, "marts.open_dossier_kpis_monthly") == [HEALTH]
    for table in ("marts.shared_dossier_kpis_monthly", "marts.shared_health_visits_monthly", "raw.dossier__dossiers",
                  "staging.stg_dossier__dossiers", "warehouse.dim_agencies", "access.agency_entitlements",
                  "access.managed_roles"):
        assert not can_read(applied, roles, roles.public, table), table


WRITES = (
    "insert into marts.{table} (month, agency_code, dossiers) values ('2030-01-01', '{code}', 1)",
    "update marts.{table} set dossiers = 0",
    "delete from marts.{table}",
    "truncate marts.{table}",
    "create table marts.intruder (x integer)",
    "create table public.intruder (x integer)",
    "create table raw.intruder (x integer)",
    "create schema intruder",
    "alter table marts.{table} disable row level security",
    "drop table marts.{table}",
    "insert into access.agency_entitlements values ('{role}', '{code}', 'own')",
)


def test_no_role_but_the_pipeline_writes(applied: Warehouse, roles: Roles) -> None:
    for role in roles.readers:
        with connect_as(applied, role, roles.password) as conn:
            # The roles default to read-only transactions; a session may undo that, so prove the grants alone hold.
            assert conn.execute("show default_transaction_read_only").fetchone()[0] == "on"
            conn.execute("set default_transaction_read_only = off")
            for table in ("shared_dossier_kpis_monthly", "open_dossier_kpis_monthly"):
                for statement in WRITES:
                    with pytest.raises((psycopg.errors.InsufficientPrivilege, psycopg.errors.UndefinedTable)):
                        conn.execute(statement.format(table=table, code=ELSEWHERE, role=role))
    # …and the pipeline (the role that builds) still does.
    with applied.connect() as conn:
        conn.execute("delete from marts.shared_dossier_kpis_monthly where agency_code = %s", (ELSEWHERE,))
    assert codes_seen(applied, roles, roles.office) == each([a for a in AGENCIES if a != ELSEWHERE])


# --- The catalog: every agency-scoped table protected ------------------------------------------------------

def unprotected_tables(warehouse: Warehouse) -> list[str]:
    """Every marts table named shared_* or holding agency_code (open_* marts are public by design) that lacks
    forced row-level security, a policy, or an index led by agency_code."""
    with warehouse.connect() as conn:
        rows = conn.execute(
            """
            select c.relname, c.relkind, c.relrowsecurity, c.relforcerowsecurity,
                   (select count(*) from pg_policy p where p.polrelid = c.oid),
                   exists (select 1 from pg_index i join pg_attribute a
                               on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
                           where i.indrelid = c.oid and a.attname = 'agency_code')
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = 'marts' and c.relkind in ('r', 'p', 'v', 'm')
              and (c.relname like 'shared\\_%%'
                   or (c.relname not like 'open\\_%%'
                       and exists (select 1 from pg_attribute a where a.attrelid = c.oid
                                   and a.attname = 'agency_code' and not a.attisdropped)))
            """).fetchall()
    assert rows, "no agency-scoped table to check"
    return [f"{name} (kind {kind}, rls {rls}, forced {forced}, policies {policies}, index {indexed})"
            for name, kind, rls, forced, policies, indexed in rows
            if not (kind in ("r", "p") and rls and forced and policies >= 1 and indexed)]


def privileges(warehouse: Warehouse, role: str) -> dict[str, set[str]]:
    """Every relation outside the system schemas on which `role` holds any privilege (directly, through a role it
    belongs to, or through PUBLIC), with those privileges."""
    kinds = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")
    with warehouse.connect() as conn:
        rows = conn.execute(
            """
            select n.nspname || '.' || c.relname, k.privilege
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            cross join unnest(%s::text[]) as k(privilege)
            where c.relkind in ('r', 'p', 'v', 'm', 'f')
              and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%%'
              and has_table_privilege(%s, c.oid, k.privilege)
            """, (list(kinds), role)).fetchall()
    found: dict[str, set[str]] = {}
    for table, privilege in rows:
        found.setdefault(table, set()).add(privilege)
    return found


def test_the_catalog_grants_readers_only_select_on_their_marts(applied: Warehouse, roles: Roles) -> None:
    shared = {"marts.shared_dossier_kpis_monthly", "marts.shared_health_visits_monthly"}
    opened = {"marts.open_dossier_kpis_monthly"}
    assert privileges(applied, roles.public) == {t: {"SELECT"} for t in opened}
    for role in (roles.health, roles.education, roles.office, roles.committee):
        assert privileges(applied, role) == {t: {"SELECT"} for t in shared | opened | {"access.agency_entitlements"}}


def test_every_agency_scoped_table_has_forced_rls_a_policy_and_an_index(applied: Warehouse) -> None:
    assert unprotected_tables(applied) == []
    described = {t["table"]: t for t in describe_access(applied)["tables"]}
    assert described["marts.shared_dossier_kpis_monthly"]["forced"]
    assert not described["marts.open_dossier_kpis_monthly"]["rls"]


def test_a_marts_table_with_agency_code_but_no_shared_prefix_is_protected_and_closed(
        warehouse: Warehouse, roles: Roles) -> None:
    build_layers(warehouse)
    with warehouse.connect() as conn:
        conn.execute("create table marts.quality_by_agency as select * from marts.shared_dossier_kpis_monthly")
    apply_access(warehouse, roles.config, env=roles.env)
    assert unprotected_tables(warehouse) == []
    assert not can_read(warehouse, roles, roles.office, "marts.quality_by_agency")


# --- Applying again, rebuilding, refusing ------------------------------------------------------------------

def test_apply_is_idempotent(applied: Warehouse, roles: Roles) -> None:
    before = describe_access(applied)
    report = apply_access(applied, roles.config, env=roles.env)
    assert report.roles_created == []
    assert describe_access(applied) == before
    with applied.connect() as conn:
        (policies,), = conn.execute("select count(*) from pg_policy p join pg_class c on c.oid = p.polrelid "
                                    "where c.relname = 'shared_dossier_kpis_monthly'").fetchall()
        (indexes,), = conn.execute("select count(*) from pg_indexes where tablename = 'shared_dossier_kpis_monthly'"
                                   ).fetchall()
    assert (policies, indexes) == (2, 1)
    assert codes_seen(applied, roles, roles.health) == each([HEALTH])


def rebuild_like_dbt(warehouse: Warehouse, table: str) -> None:
    """What dbt's table materialization does: create the new table as a select, swap names, drop the old one."""
    with warehouse.connect() as conn:
        conn.execute(f"create table marts.{table}__dbt_tmp as select * from marts.{table}")
        conn.execute(f"alter table marts.{table} rename to {table}__dbt_backup")
        conn.execute(f"alter table marts.{table}__dbt_tmp rename to {table}")
        conn.execute(f"drop table marts.{table}__dbt_backup cascade")


def test_a_table_rebuilt_by_dbt_is_closed_until_access_is_applied_again(applied: Warehouse, roles: Roles) -> None:
    rebuild_like_dbt(applied, "shared_dossier_kpis_monthly")
    # The new table has no policy yet, and no grant either: closed to every reader, not open to all.
    with applied.connect() as conn:
        (rls,), = conn.execute("select relrowsecurity from pg_class where relname = 'shared_dossier_kpis_monthly'"
                               ).fetchall()
    assert rls is False
    for role in roles.readers:
        assert not can_read(applied, roles, role, "marts.shared_dossier_kpis_monthly"), role
    apply_access(applied, roles.config, env=roles.env)
    assert codes_seen(applied, roles, roles.health) == each([HEALTH])
    assert unprotected_tables(applied) == []


def test_a_shared_mart_without_agency_code_fails_apply_loudly_and_changes_nothing(
        applied: Warehouse, roles: Roles) -> None:
    with applied.connect() as conn:
        conn.execute("create table marts.shared_land_summary (month date, registrations integer)")
        conn.execute("create table marts.shared_new_kpis (month date, agency_code text)")
    with pytest.raises(AccessError) as failure:
        apply_access(applied, roles.config, env=roles.env)
    message = str(failure.value)
    assert "marts.shared_land_summary has no column agency_code" in message
    assert "Fix: add `agency_code`" in message and "shared_new_kpis" not in message
    # Nothing was applied: the new tables stay closed.
    assert not can_read(applied, roles, roles.office, "marts.shared_new_kpis")
    assert not can_read(applied, roles, roles.office, "marts.shared_land_summary")


def test_a_role_removed_from_the_configuration_loses_its_access(applied: Warehouse, roles: Roles) -> None:
    suffix = roles.health.removeprefix("t").split("_")[0]
    report = apply_access(applied, make_config(suffix, without=(roles.education,)), env=roles.env)
    assert report.roles_retired == [roles.education]
    assert not can_read(applied, roles, roles.education, "marts.shared_dossier_kpis_monthly")
    assert codes_seen(applied, roles, roles.health) == each([HEALTH])


def test_the_owner_is_bound_by_the_forced_policies(applied: Warehouse, roles: Roles) -> None:
    # An owner that is neither the pipeline nor an agency sees nothing: FORCE binds owners too, which is why the
    # pipeline has a policy of its own.
    owner = f"{roles.public}_owner"
    with applied.connect(autocommit=True) as conn:
        conn.execute(sql.SQL("create role {} login password {}").format(sql.Identifier(owner),
                                                                       sql.Literal(roles.password)))
        conn.execute(sql.SQL("grant usage on schema marts to {}").format(sql.Identifier(owner)))
        conn.execute(sql.SQL("alter table marts.shared_dossier_kpis_monthly owner to {}").format(
            sql.Identifier(owner)))
    assert codes_seen(applied, roles, owner) == []


def test_a_pipeline_role_that_is_not_a_superuser_builds_and_reads_every_row(
        warehouse: Warehouse, roles: Roles) -> None:
    # In production the pipeline owns the marts without being a superuser (superusers pass every policy anyway).
    pipeline = f"{roles.public}_pipeline"
    with warehouse.connect(autocommit=True) as conn:
        conn.execute(sql.SQL("create role {} login createrole password {}").format(
            sql.Identifier(pipeline), sql.Literal(roles.password)))
        conn.execute(sql.SQL("grant create on database {} to {}").format(
            sql.Identifier(warehouse.dbname), sql.Identifier(pipeline)))
    as_pipeline = Warehouse(make_conninfo(**{**warehouse.params, "user": pipeline, "password": roles.password}))
    try:
        build_layers(as_pipeline)
        apply_access(as_pipeline, roles.config, env=roles.env)
        assert unprotected_tables(as_pipeline) == []
        with as_pipeline.connect() as conn:
            (n,), = conn.execute("select count(*) from marts.shared_dossier_kpis_monthly").fetchall()
            conn.execute("insert into marts.shared_dossier_kpis_monthly values ('2030-01-01', %s, 1)", (HEALTH,))
        assert n == len(AGENCIES) * ROWS_PER_AGENCY
        assert codes_seen(warehouse, roles, roles.health) == [*each([HEALTH]), HEALTH]
    finally:
        drop_roles(warehouse, [pipeline])


# --- Configuration -------------------------------------------------------------------------------------------

def test_the_default_configuration_names_agencies_of_the_simulated_province() -> None:
    from simulators.provinces import agencies

    config = load_config(PROJECT_DIR / "access.toml")
    known = {a.agency_code for a in agencies("long-an")}
    for agency in config.agencies:
        assert set(agency.agency_codes) <= known, agency.role
        assert agency.password_env and agency.password_env.startswith("KHO_")
    assert config.public_role == "kho_public"
    assert any(a.all_agencies for a in config.agencies)
    owned = [code for a in config.agencies for code in a.agency_codes]
    assert len(owned) == len(set(owned))  # one agency's rows belong to one role


def test_the_configuration_path_can_be_overridden(tmp_path: Path) -> None:
    assert config_path({}) == PROJECT_DIR / "access.toml"
    other = tmp_path / "access.toml"
    assert config_path({"KHO_ACCESS_CONFIG": str(other)}) == other


def test_a_bad_configuration_names_every_mistake() -> None:
    with pytest.raises(AccessError) as failure:
        parse_config({"public": {"role": "Public Role"},
                      "agencies": [{"role": "kho_x", "agency_codes": ["15.H37"]}, {"role": "kho_x"}]})
    message = str(failure.value)
    assert "'15.H37' is not an agency identifier" in message
    assert "agency_codes is empty" in message
    assert "'Public Role'" in message
    assert "used twice: kho_x" in message


def write_config(path: Path, roles: Roles, health_codes: list[str]) -> None:
    """An access.toml with the test's public, health and office roles."""
    path.write_text(f"""
[public]
role = "{roles.public}"
password_env = "KHO_TEST_ACCESS_PASSWORD"

[[agencies]]
role = "{roles.health}"
agency_codes = {json.dumps(health_codes)}
password_env = "KHO_TEST_ACCESS_PASSWORD"

[[agencies]]
role = "{roles.office}"
agency_codes = ["{OFFICE}"]
all_agencies = true
password_env = "KHO_TEST_ACCESS_PASSWORD"
""", encoding="utf-8")


def test_kho_access_apply_and_show(warehouse: Warehouse, roles: Roles, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from kho import cli
    from kho.cli import app

    monkeypatch.setattr(cli.console, "width", 250)  # whole names in the tables, not folded
    build_layers(warehouse)
    write_config(tmp_path / "access.toml", roles, [HEALTH])
    monkeypatch.setenv("KHO_ACCESS_CONFIG", str(tmp_path / "access.toml"))
    monkeypatch.setenv("KHO_TEST_ACCESS_PASSWORD", roles.password)
    monkeypatch.setenv("KHO_DATABASE_URL", warehouse.url)
    monkeypatch.setenv("KHO_HOME", str(tmp_path / "home"))

    applied = CliRunner().invoke(app, ["access", "apply"], terminal_width=200)
    assert applied.exit_code == 0, applied.output
    assert codes_seen(warehouse, roles, roles.health) == each([HEALTH])
    shown = CliRunner().invoke(app, ["access", "show"], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    assert "marts.shared_dossier_kpis_monthly" in shown.output and roles.health in shown.output

    with warehouse.connect() as conn:
        conn.execute("create table marts.shared_without_code (month date)")
    refused = CliRunner().invoke(app, ["access", "apply"], terminal_width=200)
    assert refused.exit_code == 1 and "marts.shared_without_code has no column agency_code" in refused.output


# --- The real marts, built by dbt through the pipeline -----------------------------------------------------

def test_the_pipeline_build_applies_access_to_the_real_marts(
        settings: Settings, warehouse: Warehouse, roles: Roles, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from kho.pipeline import build_warehouse, ingest_source

    suffix = roles.health.removeprefix("t").split("_")[0]
    config_file = tmp_path / "access.toml"
    monkeypatch.setenv("KHO_ACCESS_CONFIG", str(config_file))
    monkeypatch.setenv("KHO_TEST_ACCESS_PASSWORD", roles.password)

    write_config(config_file, roles, [HEALTH])
    ingest_source("dossier", settings)
    result = build_warehouse(settings)
    assert result["success"] and f"t{suffix}_health" in result["access"]["entitlements"]
    # Every shared mart the dbt project defines (dossier, document and each sector's) was built and protected.
    defined = {path.stem for path in (PROJECT_DIR / "dbt_project" / "models" / "marts" / "shared").glob("shared_*.sql")}
    assert {"shared_land_kpis_monthly", "shared_civil_status_kpis_monthly"} <= defined
    assert set(result["access"]["shared_tables"]) == defined
    assert unprotected_tables(warehouse) == []

    with warehouse.connect() as conn:
        by_code = dict(conn.execute("select agency_code, count(*) from marts.shared_dossier_kpis_monthly "
                                    "group by agency_code order by count(*) desc").fetchall())
        (open_rows,), = conn.execute("select count(*) from marts.open_dossier_kpis_monthly").fetchall()
    assert len(by_code) > 2
    # The agency the simulator gives most dossiers plays the health department; access follows the file.
    mine = next(iter(by_code))
    write_config(config_file, roles, [mine])
    apply_configured_access(settings)

    assert codes_seen(warehouse, roles, roles.health) == sorted([mine] * by_code[mine])
    assert len(codes_seen(warehouse, roles, roles.office)) == sum(by_code.values())
    assert len(codes_seen(warehouse, roles, roles.public, "marts.open_dossier_kpis_monthly")) == open_rows
    for role in (roles.public, roles.health, roles.office):
        for table in ("raw.dossier__dossiers", "warehouse.fct_dossiers", "warehouse.dim_agencies"):
            assert not can_read(warehouse, roles, role, table), (role, table)
    marts = [t["table"] for t in describe_access(warehouse)["tables"]]
    for table in (t for t in marts if ".shared_" in t):
        assert not can_read(warehouse, roles, roles.public, table), table
    # Across the whole database, what each reader may do at all: select on its marts, nothing else.
    opened = {t for t in marts if ".open_" in t}
    readable = {t for t in marts if ".shared_" in t} | opened | {"access.agency_entitlements"}
    assert privileges(warehouse, roles.public) == {t: {"SELECT"} for t in opened}
    assert privileges(warehouse, roles.health) == {t: {"SELECT"} for t in readable}


# --- Nothing grants a rebuilt table before apply does ------------------------------------------------------

def test_default_privileges_on_the_marts_make_apply_refuse(applied: Warehouse, roles: Roles) -> None:
    # A default grant would open each table dbt creates before its policies exist.
    with applied.connect() as conn:
        conn.execute(sql.SQL("alter default privileges in schema marts grant select on tables to {}").format(
            sql.Identifier(roles.health)))
    with pytest.raises(AccessError, match="default privileges grant new tables in marts"):
        apply_access(applied, roles.config, env=roles.env)


def test_the_dbt_project_never_grants_on_its_models() -> None:
    # dbt's `grants` config would grant right after the rename, before access is applied: the window would leak.
    project = PROJECT_DIR / "dbt_project"
    files = [project / "dbt_project.yml", *project.rglob("models/**/*.yml"), *project.rglob("models/**/*.sql")]
    granting = [str(f.relative_to(project)) for f in files if "grants" in f.read_text(encoding="utf-8")]
    assert granting == []


def test_the_sector_departments_owning_the_sector_marts_have_their_roles() -> None:
    # The sector marts take agency_code from the seed sector_agencies: Long An's (province 80) must each belong to
    # the department's role in the default file, or that department would read nothing of its own sector.
    import csv

    seed = PROJECT_DIR / "dbt_project" / "seeds" / "reference" / "sector_agencies.csv"
    assert seed.is_file(), f"{seed} is missing: the sector marts take their agency_code from it"
    roles_by_code = {code: a.role for a in load_config(PROJECT_DIR / "access.toml").agencies for code in a.agency_codes}
    expected = {"health": "kho_so_y_te", "education": "kho_so_giao_duc_dao_tao",
                "land": "kho_so_nong_nghiep_moi_truong", "civil_status": "kho_so_tu_phap"}
    with seed.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["province_code"] == "80"]
    assert rows
    assert {row["sector"] for row in rows} == set(expected)
    for row in rows:
        assert row["agency_code"] in roles_by_code, row
        assert roles_by_code[row["agency_code"]] == expected[row["sector"]], row


def test_databases_applying_the_same_roles_at_once_do_not_clash(
        pg_server: Warehouse, warehouse: Warehouse, roles: Roles) -> None:
    # Roles are cluster-wide: warehouses on one server (or parallel test databases) create them concurrently.
    from concurrent.futures import ThreadPoolExecutor

    from kho.warehouse import ensure_database

    others = [ensure_database(pg_server, f"kho_test_{uuid.uuid4().hex[:10]}") for _ in range(2)]
    try:
        for database in (warehouse, *others):
            build_layers(database)
        with ThreadPoolExecutor(max_workers=3) as pool:
            reports = list(pool.map(lambda db: apply_access(db, roles.config, env=roles.env), (warehouse, *others)))
        assert sorted(r for report in reports for r in report.roles_created) == sorted(roles.config.roles)
        for database in (warehouse, *others):
            assert codes_seen(database, roles, roles.health) == each([HEALTH])
    finally:
        for database in others:
            with database.connect(autocommit=True) as conn:
                conn.execute(sql.SQL("drop owned by {}").format(
                    sql.SQL(", ").join(sql.Identifier(r) for r in roles.config.roles)))
            with pg_server.connect(autocommit=True) as conn:
                conn.execute(sql.SQL("drop database {} with (force)").format(sql.Identifier(database.dbname)))


def test_a_role_that_would_escape_the_policies_is_refused(warehouse: Warehouse, roles: Roles) -> None:
    build_layers(warehouse)
    with warehouse.connect(autocommit=True) as conn:
        conn.execute(sql.SQL("create role {} login bypassrls").format(sql.Identifier(roles.health)))
    with pytest.raises(AccessError, match=f"role {roles.health} is BYPASSRLS"):
        apply_access(warehouse, roles.config, env=roles.env)


def test_apply_on_a_warehouse_not_built_yet_sets_up_roles_and_entitlements(
        warehouse: Warehouse, roles: Roles) -> None:
    report = apply_access(warehouse, roles.config, env=roles.env)
    assert report.shared_tables == [] and report.entitlements[roles.health] == 1
    assert any("schema marts does not exist yet" in note for note in report.notes)
    assert any(roles.committee in note and "dim_agencies" in note for note in report.notes)


def test_the_planner_statistics_do_not_reveal_other_agencies_rows(applied: Warehouse, roles: Roles) -> None:
    # pg_stats holds most common values per column: with RLS on, PostgreSQL shows them to no reader.
    with applied.connect() as conn:
        conn.execute("analyze marts.shared_dossier_kpis_monthly")
        (visible_to_pipeline,), = conn.execute(
            "select count(*) from pg_stats where tablename = 'shared_dossier_kpis_monthly'").fetchall()
    assert visible_to_pipeline > 0
    with connect_as(applied, roles.health, roles.password) as conn:
        (n,), = conn.execute("select count(*) from pg_stats where tablename = 'shared_dossier_kpis_monthly'"
                             ).fetchall()
    assert n == 0
