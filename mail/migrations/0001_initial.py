"""The sent-mail record, moved from tickets: the table keeps its name."""

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
                    name='SentMail',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('task_id', models.CharField(max_length=64, unique=True)),
                        ('sent_at', models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        'verbose_name': 'sent mail',
                        'verbose_name_plural': 'sent mail',
                        'db_table': 'tickets_sentmail',
                    },
                ),
            ],
        ),
    ]
