"""schemadoc: make a PostgreSQL schema document executable."""

__version__ = "0.1.0"
