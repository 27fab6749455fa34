import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("production", "0006_shot_version_public_id"),
    ]

    operations = [
        migrations.AddField(
            model_name="project",
            name="currency",
            field=models.CharField(default="EUR", max_length=3),
        ),
        migrations.AddField(
            model_name="character",
            name="consent",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="production.consentrecord",
            ),
        ),
        migrations.AddField(
            model_name="character",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, null=True),
        ),
    ]
