"""docker-compose.yml is a valid Compose file, and everything it names exists in the repository."""

from __future__ import annotations

import json
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
    assert {"warehouse", "dossier-simulator", "pipeline"} <= set(services)
    for name, service in services.items():
        if "build" in service:
            context = service["build"] if isinstance(service["build"], str) else service["build"]["context"]
            assert (REPO / context / "Dockerfile").exists(), name
    text = (REPO / "docker-compose.yml").read_text(encoding="utf-8")
    assert "POSTGRES_PASSWORD: ${" in text
