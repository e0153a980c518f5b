"""Kho học liệu số — the core package: app factory, configuration, database, storage, jobs, users."""

from repository.app import create_app

__all__ = ["create_app"]
