"""The schema version this program reads and writes. Apart from store.schema (its
upgrades) so that store.driver_rows can check a store's version without SQLAlchemy."""
from __future__ import annotations

SCHEMA_VERSION = 11
