"""Runtime settings, from the environment (GIKAI_*) or a .env file; one place only."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GIKAI_", env_file=".env", extra="ignore")

    raw_dir: Path = Path("var/raw")
    db_path: Path = Path("var/index.duckdb")
    host: str = "127.0.0.1"
    port: int = 8000
    max_query_chars: int = 1000
    max_limit: int = 100
    cors_origins: list[str] = []


@lru_cache
def get_settings() -> Settings:
    return Settings()
