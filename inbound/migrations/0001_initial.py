"""The incoming-email log, moved from tickets: the table keeps its name."""

import django.db.models.deletion
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
                    name='InboundEmail',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('dedupe_key', models.CharField(editable=False, max_length=64, unique=True)),
                        ('message_id', models.CharField(blank=True, db_index=True, max_length=255, verbose_name='Message-ID')),
                        ('raw_sha256', models.CharField(max_length=64)),
                        ('size', models.PositiveIntegerField(verbose_name='size in bytes')),
                        ('outcome', models.CharField(choices=[('new_ticket', 'New ticket'), ('reply', 'Reply on a ticket'), ('auto_reply', 'Automatic reply, ignored'), ('bounce', 'Bounce, ignored'), ('own', 'Our own mail, ignored'), ('too_large', 'Too large, refused'), ('unreadable', 'Unreadable, refused'), ('rate_limited', 'Too many from one sender, refused')], max_length=16, verbose_name='outcome')),
                        ('received_at', models.DateTimeField(auto_now_add=True, verbose_name='received')),
                        ('ticket', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='inbound_emails', to='tickets.ticket', verbose_name='ticket')),
                        ('ticket_message', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='tickets.message')),
                    ],
                    options={
                        'verbose_name': 'incoming email',
                        'verbose_name_plural': 'incoming emails',
                        'db_table': 'tickets_inboundemail',
                        'ordering': ['-received_at', '-id'],
                    },
                ),
            ],
        ),
    ]
