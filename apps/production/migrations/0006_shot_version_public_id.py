"""One unguessable public id per shot and per version, for the `/r/<public id>/` address.

Existing rows get a random id in SQL (gen_random_uuid); row-level security is forced on
these tables, so the fill runs with it lifted for the table owner for that one statement.
"""

from django.db import migrations, models

import apps.core.ids

FILL_SQL = {
    "shot": (
        "ALTER TABLE production_shot NO FORCE ROW LEVEL SECURITY;"
        " UPDATE production_shot SET public_id = replace(gen_random_uuid()::text, '-', '')"
        " WHERE public_id IS NULL;"
        " ALTER TABLE production_shot FORCE ROW LEVEL SECURITY;"
    ),
    "version": (
        "ALTER TABLE production_version NO FORCE ROW LEVEL SECURITY;"
        " UPDATE production_version SET public_id = replace(gen_random_uuid()::text, '-', '')"
        " WHERE public_id IS NULL;"
        " ALTER TABLE production_version FORCE ROW LEVEL SECURITY;"
    ),
}


class Migration(migrations.Migration):
    dependencies = [
        ("production", "0005_project_burn_in_timecode"),
    ]

    operations = [
        migrations.AddField(
            model_name="shot",
            name="public_id",
            field=models.CharField(editable=False, max_length=32, null=True),
        ),
        migrations.AddField(
            model_name="version",
            name="public_id",
            field=models.CharField(editable=False, max_length=32, null=True),
        ),
        migrations.RunSQL(FILL_SQL["shot"], migrations.RunSQL.noop),
        migrations.RunSQL(FILL_SQL["version"], migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="shot",
            name="public_id",
            field=models.CharField(
                default=apps.core.ids.public_id, editable=False, max_length=32, unique=True
            ),
        ),
        migrations.AlterField(
            model_name="version",
            name="public_id",
            field=models.CharField(
                default=apps.core.ids.public_id, editable=False, max_length=32, unique=True
            ),
        ),
    ]
