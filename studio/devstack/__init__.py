"""Local service launcher: PostgreSQL, Valkey and S3 (SeaweedFS) for development and tests.

Run as ``python -m studio.devstack up|down|status|env [--name NAME]``.
Deliberately free of Django imports so it can run before settings exist.
"""
