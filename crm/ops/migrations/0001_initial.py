from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="DagsterUIAccess",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
            ],
            options={
                "default_permissions": (),
                "permissions": [
                    ("access_dagster_ui", "Can open the Dagster UI (every tenant's runs)")
                ],
            },
        ),
    ]
