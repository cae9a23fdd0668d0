"""The eight categories of needy people the city starts with (``registry.rules``); the city
adds more on the categories page."""

from django.db import migrations

from jiceng.outreach.registry.rules import SEED_CATEGORIES


def seed(apps, schema_editor):
    category = apps.get_model("outreach", "NeedyCategory")
    for sort, (code, name) in enumerate(SEED_CATEGORIES, start=1):
        category.objects.get_or_create(code=code, defaults={"name": name, "sort": sort * 10})


def unseed(apps, schema_editor):
    category = apps.get_model("outreach", "NeedyCategory")
    category.objects.filter(code__in=[code for code, _ in SEED_CATEGORIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("outreach", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
