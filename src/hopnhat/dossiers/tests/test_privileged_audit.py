"""Issue 13, finding 2: privileged changes are audited in the chain whichever way they are made.

The reviewer's scenario: through the Django admin a platform administrator turned four-eyes off for a ward and gave
its approver the processor role; the approver then processed and approved the same dossier. The chain must say who
changed what, with the values before and after."""

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command

from hopnhat.core import audit
from hopnhat.core.models import AuditEntry
from hopnhat.dossiers import actions
from hopnhat.dossiers.models import AgencyPolicy, Status
from hopnhat.org.models import Agency, AgencySuccession, Role, RoleAssignment

from .test_roles import dossier, team  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture
def platform_admin():
    return User.objects.create_superuser("quan.tri.nen.tang", password="mat-khau-dai-123")


def test_the_admin_scenario_of_the_finding_leaves_entries_naming_who_and_what(
        client, platform_admin, team, dossier, hanoi):  # noqa: F811
    client.force_login(platform_admin)
    leader = team["leader"]
    answer = client.post("/django-admin/dossiers/agencypolicy/add/", {"agency": hanoi.ngoc_ha.pk})  # box unticked
    assert answer.status_code == 302, answer.content[:2000]
    answer = client.post("/django-admin/org/roleassignment/add/",
                         {"user": leader.pk, "role": Role.DOSSIER_PROCESSOR, "agency": hanoi.ngoc_ha.pk})
    assert answer.status_code == 302
    # what the finding saw happen next: the approver processes and approves the same dossier
    actions.assign(team["desk"], dossier, leader)
    actions.process(leader, dossier, note="Đã thẩm định")
    actions.approve(leader, dossier, result="Giấy khai sinh số 12")
    dossier.refresh_from_db()
    assert dossier.status == Status.DONE

    policy = AuditEntry.objects.get(action="dossiers.agencypolicy.create")
    assert policy.actor == "quan.tri.nen.tang"
    assert policy.data["after"]["four_eyes"] is False
    assert policy.data["after"]["agency_id"] == hanoi.ngoc_ha.pk
    assert str(hanoi.ngoc_ha.name) in policy.data["object"]
    role = AuditEntry.objects.get(action="org.roleassignment.create", object_pk=str(
        RoleAssignment.objects.get(user=leader, role=Role.DOSSIER_PROCESSOR).pk))
    assert role.actor == "quan.tri.nen.tang"
    assert role.data["after"] == {"id": int(role.object_pk), "user_id": leader.pk, "role": "dossier_processor",
                                  "agency_id": hanoi.ngoc_ha.pk}
    assert audit.verify_chain().ok


def test_an_update_records_before_and_after_and_a_delete_what_was_there(client, platform_admin, hanoi):
    policy = AgencyPolicy.objects.create(agency=hanoi.ngoc_ha, four_eyes=True)
    client.force_login(platform_admin)
    answer = client.post(f"/django-admin/dossiers/agencypolicy/{policy.pk}/change/", {"agency": hanoi.ngoc_ha.pk})
    assert answer.status_code == 302
    entry = AuditEntry.objects.filter(action="dossiers.agencypolicy.update").get()
    assert (entry.actor, entry.data["changed"], entry.data["before"], entry.data["after"]) == (
        "quan.tri.nen.tang", ["four_eyes"], {"four_eyes": True}, {"four_eyes": False})
    # saving without a change writes nothing
    client.post(f"/django-admin/dossiers/agencypolicy/{policy.pk}/change/", {"agency": hanoi.ngoc_ha.pk})
    assert AuditEntry.objects.filter(action="dossiers.agencypolicy.update").count() == 1
    client.post(f"/django-admin/dossiers/agencypolicy/{policy.pk}/delete/", {"post": "yes"})
    gone = AuditEntry.objects.get(action="dossiers.agencypolicy.delete")
    assert gone.actor == "quan.tri.nen.tang" and gone.data["before"]["four_eyes"] is False


def test_code_paths_outside_the_admin_are_audited_too(hanoi):
    """A staff page or an import writes through the ORM: the same entries, naming whoever `acting_as` says."""
    user = User.objects.create_user("nguoi.dung.moi")
    with audit.acting_as("dinh.thi.lan"):
        ra = RoleAssignment.objects.create(user=user, role=Role.UNIT_ADMIN, agency=hanoi.city)
        AgencySuccession.objects.create(predecessor=hanoi.ngoc_ha, successor=hanoi.giang_vo, kind="whole")
        agency = Agency.objects.get(pk=hanoi.giang_vo.pk)
        agency.short_name = "Giảng Võ (mới)"
        agency.save()
        ra.delete()
        user.is_superuser = True
        user.set_password("mot-mat-khau-moi-123")
        user.save()
        group = Group.objects.create(name="Biên tập")
        user.groups.add(group)
    actions_seen = list(AuditEntry.objects.filter(actor="dinh.thi.lan").values_list("action", flat=True))
    for expected in ("org.roleassignment.create", "org.agencysuccession.create", "org.agency.update",
                     "org.roleassignment.delete", "auth.user.update", "auth.group.create", "auth.user.groups.add"):
        assert expected in actions_seen
    superuser = AuditEntry.objects.get(actor="dinh.thi.lan", action="auth.user.update")
    assert superuser.data["after"]["is_superuser"] is True
    assert superuser.data["after"]["password"] == "<đã đặt / set>"  # the hash itself never enters the log
    assert "pbkdf2" not in str(superuser.data)


def test_a_command_names_itself_and_the_account_that_ran_it(hanoi):
    """Without a signed-in user, changes made by a `hopnhat` command name the command."""
    before = AuditEntry.objects.count()

    from hopnhat.core.json_output import HopnhatCommand

    class Grant(HopnhatCommand):
        def handle(self, *args, **options):
            RoleAssignment.objects.create(user=User.objects.create_user("qua.lenh"), role=Role.OFFICIAL,
                                          agency=hanoi.city)

    call_command(Grant())
    entries = list(AuditEntry.objects.filter(seq__gt=before, action="org.roleassignment.create"))
    assert len(entries) == 1 and entries[0].actor.startswith("system:")
