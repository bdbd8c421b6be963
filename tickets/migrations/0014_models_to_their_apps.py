"""The models of other concerns leave tickets for their own apps (agents, guard, inbound, mail,
privacy). Only Django's state changes: every table keeps its name and its rows, and the content
types follow, so permissions given to groups and the admin's history stay attached."""

import django.db.models.deletion
from django.conf import settings
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


def _content_type_move(apps, db, *, model, old_label, new_label):
    """Give the model's content type its new app label. When Django already made one under the
    new label (a page served before this migration ran, or the post-migrate step after a
    rollback), the permissions, their grants and the admin's history move to it instead, and
    the old one goes: no group loses a permission, no history is left on a row nothing reads."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    LogEntry = apps.get_model("admin", "LogEntry")
    old = ContentType.objects.using(db).filter(app_label=old_label, model=model).first()
    if old is None:
        return
    new = ContentType.objects.using(db).filter(app_label=new_label, model=model).first()
    if new is None:
        old.app_label = new_label
        old.save(update_fields=["app_label"])
        return
    grants = [
        (apps.get_model("auth", "Group").permissions.through, "group_id"),
        (apps.get_model(settings.AUTH_USER_MODEL).user_permissions.through, "user_id"),
    ]
    for permission in Permission.objects.using(db).filter(content_type=old):
        twin = (
            Permission.objects.using(db)
            .filter(content_type=new, codename=permission.codename)
            .first()
        )
        if twin is None:
            permission.content_type = new
            permission.save(update_fields=["content_type"])
            continue
        for through, holder in grants:
            for holder_id in through.objects.using(db).filter(
                permission=permission
            ).values_list(holder, flat=True):
                through.objects.using(db).get_or_create(
                    **{holder: holder_id, "permission": twin}
                )
        permission.delete()
    LogEntry.objects.using(db).filter(content_type=old).update(content_type=new)
    old.delete()


def content_types_follow(apps, schema_editor):
    for model, app_label in MOVED.items():
        _content_type_move(
            apps, schema_editor.connection.alias, model=model, old_label="tickets", new_label=app_label
        )


def content_types_back(apps, schema_editor):
    for model, app_label in MOVED.items():
        _content_type_move(
            apps, schema_editor.connection.alias, model=model, old_label=app_label, new_label="tickets"
        )


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('admin', '0003_logentry_add_action_flag_choices'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
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
