import pytest
from django.conf import settings as django_settings

from hopnhat.mail import servers, testing


@pytest.fixture(scope="session")
def _mail_instance():
    """The run's own Postfix + Dovecot + slapd + Radicale on free ports, started once per session."""
    layout = testing.start_instance(django_settings.VAR_DIR / "mail-test")
    yield layout
    servers.stop(layout)


@pytest.fixture
def mail_servers(_mail_instance, settings):
    """The session's servers, with the platform's settings pointing at them for this test only (so maps.publish
    and the directory sync write where they read, and other apps' tests never reach them)."""
    settings.HOPNHAT_MAIL = {**django_settings.HOPNHAT_MAIL, **testing.settings_for(_mail_instance)}
    return _mail_instance
