import pytest
from django.conf import settings

from hopnhat.mail import servers, testing


@pytest.fixture(scope="session")
def mail_servers(tmp_path_factory):
    """The run's own Postfix + Dovecot + slapd on free ports; the platform's settings point at them for the
    session, so maps.publish and the directory sync write where these servers read."""
    root = settings.VAR_DIR / "mail-test" if hasattr(settings, "VAR_DIR") else tmp_path_factory.mktemp("mail")
    layout = testing.start_instance(root)
    saved = dict(settings.HOPNHAT_MAIL)
    settings.HOPNHAT_MAIL.update(testing.settings_for(layout))
    yield layout
    settings.HOPNHAT_MAIL.clear()
    settings.HOPNHAT_MAIL.update(saved)
    servers.stop(layout)
