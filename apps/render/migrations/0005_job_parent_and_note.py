import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("render", "0004_job_estimate_calibration"),
        ("review", "0003_guest_links"),
    ]

    operations = [
        migrations.AddField(
            model_name="job",
            name="parent",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="children",
                to="render.job",
            ),
        ),
        migrations.AddField(
            model_name="job",
            name="note",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="review.note",
            ),
        ),
    ]
