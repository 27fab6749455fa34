"""One unguessable public id per review session, for the `/r/<public id>/` address.

Existing rows get a random id in SQL (gen_random_uuid); row-level security is forced on
the table, so the fill runs with it lifted for the table owner for that one statement.
"""

from django.db import migrations, models

import apps.core.ids


class Migration(migrations.Migration):
    dependencies = [
        ("review", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="reviewsession",
            name="public_id",
            field=models.CharField(editable=False, max_length=32, null=True),
        ),
        migrations.RunSQL(
            "ALTER TABLE review_reviewsession NO FORCE ROW LEVEL SECURITY;"
            " UPDATE review_reviewsession"
            " SET public_id = replace(gen_random_uuid()::text, '-', '')"
            " WHERE public_id IS NULL;"
            " ALTER TABLE review_reviewsession FORCE ROW LEVEL SECURITY;",
            migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="reviewsession",
            name="public_id",
            field=models.CharField(
                default=apps.core.ids.public_id, editable=False, max_length=32, unique=True
            ),
        ),
    ]
