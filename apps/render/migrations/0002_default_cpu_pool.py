from decimal import Decimal

from django.db import migrations


def create_cpu_pool(apps, schema_editor):
    Pool = apps.get_model("render", "Pool")
    Pool.objects.using(schema_editor.connection.alias).get_or_create(
        name="cpu",
        defaults={
            "description": "CPU workers (laptops, CI and light operations)",
            "device_kind": "cpu",
            "capacity": 1,
            "price_per_gpu_second": Decimal("0.000500"),
        },
    )


class Migration(migrations.Migration):
    dependencies = [("render", "0001_initial")]

    operations = [migrations.RunPython(create_cpu_pool, migrations.RunPython.noop)]
