"""One settings object, read from the environment (KHO_*); nothing else reads the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    home: Path  # KHO_HOME: working state (embedded PostgreSQL, simulator stores, dbt target, logs)
    open_data_dir: Path  # KHO_OPEN_DATA_DIR: where published datasets go
    database_url: str | None  # KHO_DATABASE_URL: an existing PostgreSQL; unset → embedded one in home/pg
    dossier_api_url: str | None  # KHO_DOSSIER_API_URL: the dossier system's base URL
    project_dir: Path = PROJECT_DIR  # KHO_PROJECT_DIR: where dbt_project/ and expectations/ live
    page_size: int = 2000  # KHO_PAGE_SIZE
    http_attempts: int = 6  # KHO_HTTP_ATTEMPTS
    http_timeout: float = 30.0  # KHO_HTTP_TIMEOUT (seconds)
    dbt_threads: int = 4  # KHO_DBT_THREADS

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        home = Path(env.get("KHO_HOME", ".kho")).resolve()
        return cls(
            home=home,
            open_data_dir=Path(env.get("KHO_OPEN_DATA_DIR", "open_data")).resolve(),
            database_url=env.get("KHO_DATABASE_URL") or None,
            dossier_api_url=env.get("KHO_DOSSIER_API_URL") or None,
            project_dir=Path(env.get("KHO_PROJECT_DIR", PROJECT_DIR)).resolve(),
            page_size=int(env.get("KHO_PAGE_SIZE", 2000)),
            http_attempts=int(env.get("KHO_HTTP_ATTEMPTS", 6)),
            http_timeout=float(env.get("KHO_HTTP_TIMEOUT", 30)),
            dbt_threads=int(env.get("KHO_DBT_THREADS", 4)),
        )

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)

    @property
    def dbt_project_dir(self) -> Path:
        return self.project_dir / "dbt_project"

    @property
    def expectations_dir(self) -> Path:
        return self.project_dir / "expectations"

    def as_env(self) -> dict[str, str]:
        """The environment that reproduces these settings in another process (an Airflow task, a test)."""
        env = {
            "KHO_HOME": str(self.home),
            "KHO_OPEN_DATA_DIR": str(self.open_data_dir),
            "KHO_PROJECT_DIR": str(self.project_dir),
            "KHO_PAGE_SIZE": str(self.page_size),
            "KHO_HTTP_ATTEMPTS": str(self.http_attempts),
            "KHO_HTTP_TIMEOUT": str(self.http_timeout),
            "KHO_DBT_THREADS": str(self.dbt_threads),
        }
        if self.database_url:
            env["KHO_DATABASE_URL"] = self.database_url
        if self.dossier_api_url:
            env["KHO_DOSSIER_API_URL"] = self.dossier_api_url
        return env
