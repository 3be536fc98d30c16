"""Away flags keep their history; Admins lose every write on django-q2's models that 0010 granted.

A schedule's function and arguments run as code in the cluster, so only superusers change them
(and the admin refuses others whatever their grants: config/queue_admin.py).
"""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


def withdraw_queue_writes(apps, schema_editor):
    Group, Permission = apps.get_model("auth", "Group"), apps.get_model("auth", "Permission")
    writes = Permission.objects.filter(content_type__app_label="django_q", codename__regex=r"^(add|change|delete)_")
    for admins in Group.objects.filter(name="Admins"):
        admins.permissions.remove(*writes)


class Migration(migrations.Migration):

    dependencies = [
        ('escalations', '0013_ticket_at_risk_points'),
        ('django_q', '0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='HistoricalProfile',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('is_away', models.BooleanField(default=False)),
                ('away_since', models.DateTimeField(blank=True, null=True)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.TextField(null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('user', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical profile',
                'verbose_name_plural': 'historical profiles',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.RunPython(withdraw_queue_writes, migrations.RunPython.noop),
    ]
