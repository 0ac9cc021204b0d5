"""Changes that the servers must see: any write to a mailbox, an old address or a domain publishes the maps once
its transaction commits (maps.schedule_publish); a membership that starts or ends opens or closes the official's
mail login (addresses.refresh_person)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from hopnhat.org.models import Membership

from . import maps
from .models import Mailbox, MailDomain, OldAddress


@receiver([post_save, post_delete], sender=Mailbox)
@receiver([post_save, post_delete], sender=OldAddress)
@receiver([post_save, post_delete], sender=MailDomain)
def _publish(sender, **kwargs):
    maps.schedule_publish()


@receiver([post_save, post_delete], sender=Membership)
def _membership_changed(sender, instance, **kwargs):
    from .addresses import refresh_person

    refresh_person(instance.person_id)
