"""One settings object, read from the environment (KHO_*) or one file; nothing else reads the environment."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

PROJECT_DIR = Path(__file__).resolve().parent.parent


def read_config(env: Mapping[str, str]) -> dict[str, str]:
    """KHO_* values: the environment wins over the file named by KHO_CONFIG (default ./kho.toml, if present).

    The file holds the same names as the environment, e.g. `KHO_DOSSIER_API_URL = "https://…"`."""
    path = Path(env.get("KHO_CONFIG", "kho.toml"))
    values: dict[str, str] = {}
    if path.is_file():
        with path.open("rb") as handle:
            values = {k: str(v) for k, v in tomllib.load(handle).items() if k.startswith("KHO_")}
    elif "KHO_CONFIG" in env:
        raise FileNotFoundError(f"KHO_CONFIG names {path}, which does not exist")
    values.update({k: v for k, v in env.items() if k.startswith("KHO_")})
    return values


@dataclass(frozen=True)
class Settings:
    home: Path  # KHO_HOME: working state (embedded PostgreSQL, simulator stores, dbt target, logs)
    open_data_dir: Path  # KHO_OPEN_DATA_DIR: where published datasets go
    database_url: str | None  # KHO_DATABASE_URL: an existing PostgreSQL; unset → embedded one in home/pg
    project_dir: Path = PROJECT_DIR  # KHO_PROJECT_DIR: where dbt_project/ and expectations/ live
    page_size: int = 2000  # KHO_PAGE_SIZE
    http_attempts: int = 6  # KHO_HTTP_ATTEMPTS
    http_timeout: float = 30.0  # KHO_HTTP_TIMEOUT (seconds)
    dbt_threads: int = 4  # KHO_DBT_THREADS
    lookback_seconds: float = 0.0  # KHO_LOOKBACK_SECONDS: re-read this far before the watermark (late commits)
    open_data_base_url: str = ""  # KHO_OPEN_DATA_BASE_URL: where open_data/ is served (catalog links); "" → relative
    # Where each source system is: KHO_DOSSIER_API_URL, KHO_HEALTH_DROP_DIR, … (see ingest/sources.py)
    locations: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        values = read_config(os.environ if env is None else env)
        return cls(
            home=Path(values.get("KHO_HOME", ".kho")).resolve(),
            open_data_dir=Path(values.get("KHO_OPEN_DATA_DIR", "open_data")).resolve(),
            database_url=values.get("KHO_DATABASE_URL") or None,
            project_dir=Path(values.get("KHO_PROJECT_DIR", PROJECT_DIR)).resolve(),
            page_size=int(values.get("KHO_PAGE_SIZE", 2000)),
            http_attempts=int(values.get("KHO_HTTP_ATTEMPTS", 6)),
            http_timeout=float(values.get("KHO_HTTP_TIMEOUT", 30)),
            dbt_threads=int(values.get("KHO_DBT_THREADS", 4)),
            lookback_seconds=float(values.get("KHO_LOOKBACK_SECONDS", 0)),
            open_data_base_url=values.get("KHO_OPEN_DATA_BASE_URL", ""),
            locations=MappingProxyType({k: v for k, v in values.items()
                                        if k.endswith(("_URL", "_DIR")) and v and k not in (
                                            "KHO_DATABASE_URL", "KHO_OPEN_DATA_DIR", "KHO_OPEN_DATA_BASE_URL")}),
        )

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)

    def with_locations(self, **locations: str) -> Settings:
        return replace(self, locations=MappingProxyType({**self.locations, **locations}))

    def location(self, setting: str) -> str | None:
        return self.locations.get(setting)

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
            "KHO_LOOKBACK_SECONDS": str(self.lookback_seconds),
            **self.locations,
        }
        if self.database_url:
            env["KHO_DATABASE_URL"] = self.database_url
        return env
