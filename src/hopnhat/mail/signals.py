"""Changes that the servers must see: any write to a mailbox, an old address or a domain publishes the maps once
its transaction commits (maps.schedule_publish); a membership that starts or ends opens or closes the official's
mail login (addresses.refresh_person); officials and agencies are brought up to date in LDAP (ldap_sync)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from hopnhat.org.models import Agency, Membership, Person

from . import maps
from .models import AgencyContact, Mailbox, MailDomain, OldAddress, PersonContact


@receiver([post_save, post_delete], sender=Mailbox)
@receiver([post_save, post_delete], sender=OldAddress)
@receiver([post_save, post_delete], sender=MailDomain)
def _publish(sender, **kwargs):
    maps.schedule_publish()


@receiver([post_save, post_delete], sender=Membership)
def _membership_changed(sender, instance, **kwargs):
    from .addresses import refresh_person

    refresh_person(instance.person_id)


# The directory (LDAP) follows every change of an official or an agency once it commits.
@receiver([post_save, post_delete], sender=Membership)
@receiver(post_save, sender=Person)
def _person_to_ldap(sender, instance, **kwargs):
    from . import ldap_sync

    ldap_sync.schedule_people([instance.person_id if sender is Membership else instance.pk])


@receiver(post_save, sender=Mailbox)
@receiver(post_save, sender=PersonContact)
def _contact_to_ldap(sender, instance, **kwargs):
    from . import ldap_sync

    if instance.person_id:
        ldap_sync.schedule_people([instance.person_id])


@receiver([post_save, post_delete], sender=Agency)
@receiver(post_save, sender=AgencyContact)
def _agency_to_ldap(sender, **kwargs):
    from . import ldap_sync

    ldap_sync.schedule_full()
