"""Agents, teams and their holidays, moved from tickets: the tables keep their names."""

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('tickets', '0013_inbound_limits'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The table stays where it is (Meta.db_table): no row moves, only Django's state.
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='Team',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.SlugField(max_length=40, unique=True, verbose_name='code')),
                        ('name_en', models.CharField(max_length=80, verbose_name='name (English)')),
                        ('name_zh_hans', models.CharField(max_length=80, verbose_name='name (Chinese)')),
                        ('time_zone', models.CharField(default='Asia/Shanghai', max_length=64, verbose_name='time zone')),
                        ('working_hours', models.JSONField(default=list, help_text='A list of {"days": [0-6, Monday=0], "open": "HH:MM", "close": "HH:MM"}, or "always".', verbose_name='working hours')),
                    ],
                    options={
                        'verbose_name': 'team',
                        'verbose_name_plural': 'teams',
                        'db_table': 'tickets_team',
                        'ordering': ['code'],
                    },
                ),
                migrations.CreateModel(
                    name='AgentProfile',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('display_name', models.CharField(max_length=60, verbose_name='display name')),
                        ('agent_code', models.CharField(max_length=16, unique=True, verbose_name='agent code')),
                        ('availability', models.CharField(choices=[('online', 'Online'), ('away', 'Away'), ('offline', 'Offline')], default='offline', max_length=10, verbose_name='availability')),
                        ('capacity', models.PositiveSmallIntegerField(default=20, validators=[django.core.validators.MinValueValidator(1)], verbose_name='capacity (open tickets)')),
                        ('chat_capacity', models.PositiveSmallIntegerField(default=3, validators=[django.core.validators.MinValueValidator(1)], verbose_name='capacity (chats at once)')),
                        ('last_assigned_at', models.DateTimeField(blank=True, editable=False, null=True)),
                        ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='agent_profile', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'agent profile',
                        'verbose_name_plural': 'agent profiles',
                        'db_table': 'tickets_agentprofile',
                    },
                ),
                migrations.CreateModel(
                    name='TeamMembership',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('is_lead', models.BooleanField(default=False, verbose_name='team lead')),
                        ('team', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to='agents.team')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='team_memberships', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'team member',
                        'verbose_name_plural': 'team members',
                        'db_table': 'tickets_teammembership',
                    },
                ),
                migrations.AddField(
                    model_name='team',
                    name='members',
                    field=models.ManyToManyField(related_name='support_teams', through='agents.TeamMembership', to=settings.AUTH_USER_MODEL),
                ),
                migrations.CreateModel(
                    name='TeamHoliday',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('date', models.DateField(verbose_name='date')),
                        ('name', models.CharField(blank=True, max_length=80, verbose_name='name')),
                        ('team', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='holidays', to='agents.team')),
                    ],
                    options={
                        'verbose_name': 'holiday',
                        'verbose_name_plural': 'holidays',
                        'db_table': 'tickets_teamholiday',
                        'ordering': ['date'],
                        'constraints': [models.UniqueConstraint(fields=('team', 'date'), name='tickets_one_holiday_a_day')],
                    },
                ),
                migrations.AddConstraint(
                    model_name='teammembership',
                    constraint=models.UniqueConstraint(fields=('team', 'user'), name='tickets_one_membership'),
                ),
            ],
        ),
    ]
