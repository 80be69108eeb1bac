"""docker-compose.yml is a valid Compose file, and everything it names exists in the repository."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import yaml

REPO = Path(__file__).resolve().parents[1]


def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))


def test_compose_file_follows_the_compose_specification() -> None:
    schema = json.loads((REPO / ".ci" / "schemas" / "compose-spec.json").read_text(encoding="utf-8"))
    errors = [f"{list(e.path)}: {e.message}" for e in jsonschema.Draft201909Validator(schema).iter_errors(compose())]
    assert errors == []


def test_compose_builds_from_files_that_exist_and_commits_no_secret() -> None:
    services = compose()["services"]
    for name, service in services.items():
        if "build" in service:
            context = service["build"] if isinstance(service["build"], str) else service["build"]["context"]
            assert (REPO / context / "Dockerfile").exists(), name
    text = (REPO / "docker-compose.yml").read_text(encoding="utf-8")
    assert "POSTGRES_PASSWORD: ${" in text
    assert not re.search(r"(PASSWORD|SECRET|FERNET_KEY)\b[^$\n]*: [^${\n]+$", text, re.MULTILINE)


AIRFLOW_COMPONENTS = {"airflow-api-server": "api-server", "airflow-scheduler": "scheduler",
                      "airflow-dag-processor": "dag-processor", "airflow-triggerer": "triggerer",
                      "airflow-worker": "celery"}
SIMULATORS = {"dossier-simulator", "document-simulator", "civil-status-simulator", "sector-drops",
              "land-simulator"}


def depends(service: dict) -> set[str]:
    needs = service.get("depends_on", {})
    return set(needs) if isinstance(needs, (dict, list)) else set()


def test_compose_deploys_every_part_of_kho() -> None:
    services = compose()["services"]
    required = {"warehouse", "airflow-db", "redis", "airflow-init", "open-data-portal", *AIRFLOW_COMPONENTS,
                *SIMULATORS}
    assert required <= set(services), required - set(services)
    for name, subcommand in AIRFLOW_COMPONENTS.items():
        assert services[name]["command"][:2] == ["airflow", subcommand], name
    assert services["airflow-init"]["command"] == ["airflow", "db", "migrate"]
    assert services["open-data-portal"]["image"].startswith("nginx")


def test_airflow_runs_celery_on_redis_with_its_own_metadata_database_not_the_warehouse() -> None:
    services = compose()["services"]
    for name in [*AIRFLOW_COMPONENTS, "airflow-init"]:
        env = services[name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:"), name
        assert "@airflow-db:" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"], name
        assert "@warehouse:" in env["KHO_DATABASE_URL"], name
        assert env["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/kho/dags", name
    assert services["airflow-worker"]["deploy"]["replicas"] >= 2


def test_every_dependency_is_declared_and_waits_for_health() -> None:
    services = compose()["services"]
    for name in AIRFLOW_COMPONENTS:
        assert {"airflow-db", "redis", "airflow-init"} <= depends(services[name]), name
        assert services[name]["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
    # A worker runs the tasks: it needs the warehouse and every source it reads.
    assert {"warehouse", *SIMULATORS} <= depends(services["airflow-worker"])
    assert "warehouse" in depends(services["land-simulator"])
    for name, service in services.items():
        for needed in depends(service):
            assert needed in services, (name, needed)
            condition = service["depends_on"][needed]["condition"]
            if condition == "service_healthy":
                assert "healthcheck" in services[needed], (name, needed)


def test_every_source_kho_knows_is_pointed_at_a_service() -> None:
    from ingest.sources import sources

    env = compose()["services"]["airflow-worker"]["environment"]
    for spec in sources().values():
        assert env.get(spec.setting), spec.setting


def test_the_portal_serves_the_folder_kho_publishes_to() -> None:
    services = compose()["services"]
    worker = services["airflow-worker"]
    published = worker["environment"]["KHO_OPEN_DATA_DIR"]
    volume = next(v.split(":")[0] for v in worker["volumes"] if v.split(":")[1] == published)
    assert any(v.startswith(f"{volume}:/usr/share/nginx/html") for v in services["open-data-portal"]["volumes"])
