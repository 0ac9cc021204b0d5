"""The one-door dossier roles are staff roles scoped to an agency subtree like the others."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from hopnhat.org import access
from hopnhat.org.agencies import ensure_agency
from hopnhat.org.models import Role, RoleAssignment

pytestmark = pytest.mark.django_db
ACTOR = "system:test-access"


def test_dossier_roles_are_staff_roles_over_a_subtree():
    tq = ensure_agency(code="000.00.00.H60", name="UBND tỉnh Tuyên Quang", actor=ACTOR)[0]
    ward = ensure_agency(code="000.00.41.H60", name="UBND phường Minh Xuân", parent=tq, actor=ACTOR)[0]
    other = ensure_agency(code="000.00.42.H60", name="UBND phường Nông Tiến", parent=tq, actor=ACTOR)[0]
    for role in (Role.DOSSIER_RECEIVER, Role.DOSSIER_PROCESSOR, Role.DOSSIER_APPROVER):
        user = get_user_model().objects.create_user(f"u-{role}", password="x")
        RoleAssignment.objects.create(user=user, role=role, agency=ward)
        assert access.is_staff_member(user) and not access.is_platform_admin(user)
        assert [a.name for a in access.visible_agencies(user)] == ["UBND phường Minh Xuân"]
        assert access.can_act_on(user, ward, {role}) and not access.can_act_on(user, other, {role})
        # holding one dossier role gives none of the others
        assert not access.can_act_on(user, ward, access.DOSSIER_ROLES - {role})
        with pytest.raises(ValidationError, match="cần một cơ quan"):
            RoleAssignment(user=user, role=role).full_clean()
