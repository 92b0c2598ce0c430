"""The review web app for compliance liaisons (FastAPI, server-rendered, Chinese)."""

from amlwatch.web.app import create_app

__all__ = ["create_app"]
