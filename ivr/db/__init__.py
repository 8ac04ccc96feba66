"""Durable state on SQLAlchemy 2: an embedded SQLite file by default, PostgreSQL by URL.

`models` is the schema, `migrations/` its Alembic history (applied at start-up and by
`ivr db upgrade`), `engine` opens a database with the settings each backend needs.
"""
