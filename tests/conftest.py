"""Test setup on real services.

The test database is created fresh by the schema-owner role, migrated as that role (which
applies row-level security and grants), and then every test talks to it as the
application role, exactly like production.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connections
from psycopg import sql

from tests.factories import World, build_world


def _test_database_name() -> str:
    base = settings.DATABASES["default"]["NAME"]
    return base if base.endswith("_test") else f"{base}_test"


def _recreate_database(name: str) -> None:
    owner = settings.DATABASES["owner"]
    with psycopg.connect(
        host=owner["HOST"],
        port=owner["PORT"] or 5432,
        user=owner["USER"],
        password=owner["PASSWORD"],
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def django_db_setup(django_db_blocker: Any) -> Iterator[None]:
    name = _test_database_name()
    for alias in ("default", "owner"):
        settings.DATABASES[alias]["NAME"] = name
        connections[alias].settings_dict["NAME"] = name
        connections[alias].close()
    os.environ["BACKLOT_TEST_DATABASE"] = name
    with django_db_blocker.unblock():
        _recreate_database(name)
        call_command("migrate", database="owner", verbosity=0, interactive=False)
        connections["owner"].close()
    yield


_counter = itertools.count()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}-{next(_counter)}"


@pytest.fixture
def world(db: Any) -> World:
    """Two partners (A, B) and the studio, with members of each role and a project each."""
    return build_world()


@pytest.fixture
def committed_db(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """For tests whose data other processes or threads must see (browsers, websockets):
    writes are committed; every object gets unique names so tests never collide."""
    with django_db_blocker.unblock():
        yield
        for alias in connections:
            connections[alias].close()


@pytest.fixture(autouse=True)
def _fresh_channel_layer() -> Iterator[None]:
    """Each test gets its own channel-layer instance: a layer still receiving in an earlier
    test's event loop must not meet this test's loop."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()
