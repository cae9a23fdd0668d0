"""Fewer indexes on the member table (issue 3: each one is paid for by every imported row).

Drops the pattern-ops twins Django adds on PostgreSQL for ``unique=True`` / ``db_index=True``
CharFields (the ID and phone blind indexes are only compared for equality; the street code
likewise) and both indexes on ``name_simplified`` (searched with LIKE '%…%', which no B-tree
serves). Lookups keep one index each.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('geo', '0001_initial'),
        ('members', '0007_transfers'),
        ('orgs', '0002_health'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The unique constraint's index is built before the old one goes, so the ID number
        # stays unique throughout.
        migrations.AddConstraint(
            model_name='member',
            constraint=models.UniqueConstraint(fields=('id_number_index',), name='member_id_number_unique', violation_error_message='该公民身份号码已登记'),
        ),
        migrations.AlterField(
            model_name='member',
            name='id_number_index',
            field=models.CharField(editable=False, max_length=40),
        ),
        migrations.AlterField(
            model_name='member',
            name='name_simplified',
            field=models.CharField(editable=False, max_length=50),
        ),
        migrations.AlterField(
            model_name='member',
            name='phone_index',
            field=models.CharField(blank=True, editable=False, max_length=40),
        ),
        migrations.AlterField(
            model_name='member',
            name='street',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='geo.street', verbose_name='居住街道/乡镇'),
        ),
        migrations.AddIndex(
            model_name='member',
            index=models.Index(fields=['phone_index'], name='member_phone_index'),
        ),
        migrations.AddIndex(
            model_name='member',
            index=models.Index(fields=['street'], name='member_street'),
        ),
    ]
