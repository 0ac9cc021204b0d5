"""Personal identifiers (CCCD/CMND numbers) are never stored in clear: a keyed hash finds them again."""

import hashlib
import hmac
import re

from django.conf import settings

_NON_DIGITS = re.compile(r"\D")


def normalise_id_number(value: str) -> str:
    return _NON_DIGITS.sub("", value or "")


def keyed_hash(id_number: str) -> str:
    """HMAC-SHA256 under PII_HASH_KEY of the digits of the number; "" for an empty number."""
    digits = normalise_id_number(id_number)
    if not digits:
        return ""
    return hmac.new(settings.PII_HASH_KEY.encode(), digits.encode(), hashlib.sha256).hexdigest()


# A citizen who signs in with VNeID gets the user name VNEID_USERNAME_PREFIX + the keyed hash of the ID number,
# never the number itself (the shell's VNeID sign-in makes it; "my dossiers" finds the hash in it).
VNEID_USERNAME_PREFIX = "vneid-"
