"""Who took a step, as the applicant and the history should read it: the person's name and post, not a user name.

A history event keeps the actor's user name (or an old system's user, or system:<job>) and the title the actor
held then (DossierEvent.actor_title, filled in when the step is recorded). Pages turn the user names of a
dossier's history into names in one query (names_and_titles)."""

from django.contrib.auth import get_user_model

from hopnhat.org.models import Membership


def post_title(user, agency_id: int | None) -> str:
    """The user's current post at the agency (title, else position), or at any agency when none there."""
    person = getattr(user, "person", None) if user is not None and not isinstance(user, str) else None
    if person is None:
        return ""
    posts = Membership.objects.filter(person=person, end__isnull=True).select_related("position")
    post = posts.filter(agency_id=agency_id).first() or posts.first()
    return (post.title or (post.position.name if post.position else "")) if post else ""


def names_and_titles(usernames) -> dict[str, tuple[str, str]]:
    """{user name: (full name, current title)} for those of `usernames` that are accounts here."""
    users = get_user_model().objects.filter(username__in=set(usernames)).select_related("person")
    out = {}
    for user in users:
        person = getattr(user, "person", None)
        name = person.full_name if person else (f"{user.last_name} {user.first_name}".strip() or user.username)
        out[user.username] = (name, post_title(user, None))
    return out


def who(actor: str, title: str, known: dict[str, tuple[str, str]]) -> str:
    """“Nguyễn Thị Hoa, Công chức Tư pháp - Hộ tịch”; a job reads as the system; an old system's user as it was."""
    if actor.startswith("system:"):
        return "Hệ thống"
    name, current = known.get(actor, (actor, ""))
    title = title or current
    return f"{name}, {title}" if title else name
