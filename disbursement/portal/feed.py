"""The feed of settled payments for the provincial supervision platform (省级监督平台).

Keyset pages ordered by payment id; `next` is the id of the last payment of a page (null on the last page).
Each body is signed with HMAC-SHA256 under FEED_SIGNING_KEY so the platform can check it came from us
unaltered, whichever cache or proxy served it. Names, ID and card numbers are masked as on the portal.

Caveat of ordering by id: a payment settles after it is created, so one settled after a consumer's cursor
passed its id is not seen again; consumers should re-read from an older cursor (e.g. a month back) now and
then, or the feed needs a settlement sequence column.
"""

import hashlib
import hmac
import json

from django.conf import settings
from django.utils import timezone

from disbursement.errors import ValidationFailed
from disbursement.money import fen_to_yuan
from disbursement.payments.models import Payment, PaymentStatus
from disbursement.pii import mask_name

FEED_DEFAULT_LIMIT = 100
FEED_MAX_LIMIT = 500


def settled_payments_page(*, after: str | None = None, limit: int = FEED_DEFAULT_LIMIT) -> dict:
    """One page of paid payments with id above the cursor `after`: {"items": [...], "next": cursor | None}."""
    try:
        last_id = int(after) if after not in (None, "") else 0
    except ValueError:
        raise ValidationFailed("after must be a cursor returned as next", field="after") from None
    if last_id < 0:
        raise ValidationFailed("after must be a cursor returned as next", field="after")
    limit = max(1, min(int(limit), FEED_MAX_LIMIT))
    rows = list(
        Payment.objects.filter(status=PaymentStatus.PAID, id__gt=last_id)
        .order_by("id")
        .values("id", "reference", "payee_name", "person__id_masked", "card_masked", "village_id", "village__name",
                "roster__item_id", "roster__item__name", "roster__period", "amount_fen", "settled_at")[:limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        {
            "reference": row["reference"],
            "name": mask_name(row["payee_name"]),
            "id_number": row["person__id_masked"],
            "card": row["card_masked"],
            "village": {"code": row["village_id"], "name": row["village__name"]},
            "item": {"code": row["roster__item_id"], "name": row["roster__item__name"]},
            "period": row["roster__period"],
            "amount_yuan": fen_to_yuan(row["amount_fen"]),
            "paid_on": timezone.localdate(row["settled_at"]).isoformat() if row["settled_at"] else None,
        }
        for row in rows
    ]
    return {"items": items, "next": str(rows[-1]["id"]) if more else None}


def feed_signature(*, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256 over the exact body bytes, as sent in X-OneCard-Signature."""
    key = getattr(settings, "FEED_SIGNING_KEY", settings.SECRET_KEY)
    return "sha256=" + hmac.new(key.encode() if isinstance(key, str) else key, body, hashlib.sha256).hexdigest()


def feed_document(*, after: str | None = None, limit: int = FEED_DEFAULT_LIMIT) -> tuple[bytes, str]:
    """The page as the exact JSON bytes served, and their signature."""
    page = settled_payments_page(after=after, limit=limit)
    body = json.dumps(page, ensure_ascii=False, separators=(",", ":")).encode()
    return body, feed_signature(body=body)
