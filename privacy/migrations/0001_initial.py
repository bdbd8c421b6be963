"""The customers' data requests, moved from tickets: the table keeps its name."""

import django.db.models.deletion
import django.utils.timezone
import privacy.models
import tickets.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('tickets', '0014_models_to_their_apps'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The table stays where it is (Meta.db_table): no row moves, only Django's state.
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='DataRequest',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('export', 'Export'), ('delete', 'Deletion')], max_length=10, verbose_name='request')),
                        ('status', models.CharField(choices=[('awaiting', 'Awaiting confirmation'), ('confirmed', 'Confirmed'), ('done', 'Done'), ('refused', 'Refused')], db_index=True, default='awaiting', max_length=10, verbose_name='status')),
                        ('email', models.EmailField(blank=True, max_length=254, verbose_name='email')),
                        ('email_hash', models.CharField(db_index=True, editable=False, max_length=64)),
                        ('language', models.CharField(default='en', max_length=10, verbose_name='language')),
                        ('confirmation_key', models.CharField(default=tickets.models.new_access_key, editable=False, max_length=64)),
                        ('export_file', models.FileField(blank=True, editable=False, max_length=200, storage=tickets.models.PrivateFileStorage(directory_permissions_mode=448), upload_to=privacy.models.export_path)),
                        ('summary', models.JSONField(blank=True, default=dict, editable=False, verbose_name='counts')),
                        ('requested_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='requested')),
                        ('confirmed_at', models.DateTimeField(blank=True, null=True, verbose_name='confirmed')),
                        ('completed_at', models.DateTimeField(blank=True, null=True, verbose_name='carried out')),
                        ('carried_out_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='carried out by')),
                    ],
                    options={
                        'verbose_name': 'data request',
                        'verbose_name_plural': 'data requests',
                        'db_table': 'tickets_datarequest',
                        'ordering': ['-requested_at', '-id'],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('status__in', ['awaiting', 'confirmed'])), fields=('kind', 'email_hash'), name='tickets_one_open_data_request')],
                    },
                ),
            ],
        ),
    ]
