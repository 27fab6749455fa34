from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("render", "0003_entitlement_tenant"),
    ]

    operations = [
        migrations.AddField(
            model_name="job",
            name="estimated_gpu_seconds",
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="job",
            name="work_megapixel_frames",
            field=models.FloatField(blank=True, null=True),
        ),
    ]
