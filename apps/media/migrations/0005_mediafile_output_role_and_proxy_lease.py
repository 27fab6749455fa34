from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("media", "0004_mediafile_viewer"),
    ]

    operations = [
        migrations.AddField(
            model_name="mediafile",
            name="proxy_updated_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="mediafile",
            name="role",
            field=models.CharField(blank=True, max_length=32),
        ),
    ]
