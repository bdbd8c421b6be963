"""The models of other concerns leave tickets for their own apps (agents, guard, inbound, mail,
privacy). Only Django's state changes: every table keeps its name and its rows, and the content
types follow, so permissions given to groups and the admin's history stay attached."""

import django.db.models.deletion
from django.db import migrations, models


MOVED = {
    "agentprofile": "agents",
    "team": "agents",
    "teammembership": "agents",
    "teamholiday": "agents",
    "guardevent": "guard",
    "inboundemail": "inbound",
    "sentmail": "mail",
    "datarequest": "privacy",
}


def content_types_follow(apps, schema_editor, *, forward=True):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model, app_label in MOVED.items():
        old, new = ("tickets", app_label) if forward else (app_label, "tickets")
        if ContentType.objects.using(db).filter(app_label=new, model=model).exists():
            continue  # already there (created by an earlier run): leave both as they are
        ContentType.objects.using(db).filter(app_label=old, model=model).update(app_label=new)


def content_types_back(apps, schema_editor):
    content_types_follow(apps, schema_editor, forward=False)


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('agents', '0001_initial'),
        ('tickets', '0013_inbound_limits'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The table stays where it is (Meta.db_table): no row moves, only Django's state.
            database_operations=[],
            state_operations=[
                migrations.RemoveField(
                    model_name='agentprofile',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='datarequest',
                    name='carried_out_by',
                ),
                migrations.RemoveField(
                    model_name='guardevent',
                    name='ticket',
                ),
                migrations.RemoveField(
                    model_name='inboundemail',
                    name='ticket',
                ),
                migrations.RemoveField(
                    model_name='inboundemail',
                    name='ticket_message',
                ),
                migrations.DeleteModel(
                    name='SentMail',
                ),
                migrations.RemoveField(
                    model_name='team',
                    name='members',
                ),
                migrations.AlterField(
                    model_name='routingrule',
                    name='team',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to='agents.team', verbose_name='team'),
                ),
                migrations.AlterField(
                    model_name='ticket',
                    name='team',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='tickets', to='agents.team', verbose_name='team'),
                ),
                migrations.RemoveField(
                    model_name='teamholiday',
                    name='team',
                ),
                migrations.RemoveField(
                    model_name='teammembership',
                    name='team',
                ),
                migrations.RemoveField(
                    model_name='teammembership',
                    name='user',
                ),
                migrations.DeleteModel(
                    name='AgentProfile',
                ),
                migrations.DeleteModel(
                    name='DataRequest',
                ),
                migrations.DeleteModel(
                    name='GuardEvent',
                ),
                migrations.DeleteModel(
                    name='InboundEmail',
                ),
                migrations.DeleteModel(
                    name='TeamHoliday',
                ),
                migrations.DeleteModel(
                    name='Team',
                ),
                migrations.DeleteModel(
                    name='TeamMembership',
                ),
            ],
        ),
        migrations.RunPython(content_types_follow, content_types_back),
    ]
