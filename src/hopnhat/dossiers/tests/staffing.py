"""Members of staff for the worklist, slip and dashboard tests: a user with a Person (real name, post) and roles
over one agency, as the org app would have them. `roles` adds the one-door dossier roles (dossier_receiver …)."""

from django.contrib.auth.models import User
from django.test import Client

from hopnhat.org.models import Membership, Person, Role, RoleAssignment

PASSWORD = "mat-khau-dai-123"


def official(username: str, full_name: str, agency, role: str = Role.OFFICIAL, title: str = "",
             roles: tuple = ()) -> User:
    user = User.objects.create_user(username, password=PASSWORD)
    person = Person.objects.create(full_name=full_name, user=user)
    Membership.objects.create(person=person, agency=agency, title=title)
    for each in (role, *roles):
        RoleAssignment.objects.create(user=user, role=each, agency=agency)
    return user


RECEIVER, PROCESSOR, APPROVER = Role.DOSSIER_RECEIVER, Role.DOSSIER_PROCESSOR, Role.DOSSIER_APPROVER
ALL_STEPS = (RECEIVER, PROCESSOR, APPROVER)   # a small ward where one official wears every hat


def client_for(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client
