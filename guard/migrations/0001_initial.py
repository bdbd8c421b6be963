"""The guard's refusal log, moved from tickets: the table keeps its name."""

import django.db.models.deletion
import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('tickets', '0014_models_to_their_apps'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The table stays where it is (Meta.db_table): no row moves, only Django's state.
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='GuardEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('customer_email', models.EmailField(blank=True, db_index=True, max_length=254)),
                        ('source', models.CharField(choices=[('contact_form', 'Contact form'), ('reply', 'Ticket reply'), ('chat', 'Live chat'), ('email', 'Email'), ('api', 'API')], max_length=16)),
                        ('kind', models.CharField(choices=[('recovery_phrase', 'Recovery phrase'), ('private_key', 'Private key'), ('card_number', 'Card number')], max_length=20)),
                        ('field', models.CharField(blank=True, max_length=40)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('ticket', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='guard_events', to='tickets.ticket')),
                    ],
                    options={
                        'verbose_name': 'guard event',
                        'verbose_name_plural': 'guard events',
                        'db_table': 'tickets_guardevent',
                        'ordering': ['-created_at'],
                        'indexes': [models.Index(fields=['created_at'], name='guard_events_created_idx'), models.Index(django.db.models.functions.text.Upper('customer_email'), name='guard_events_email_upper_idx')],
                    },
                ),
            ],
        ),
    ]
