"""Return reason codes (回盘失败原因): why the agent bank could not credit a card. Documented in docs/bank-files.md.

`reissue` says whether paying again after the clerk corrects the payee's data (a new card, the right name, an
unfrozen account) makes sense; where it does not (the holder has died), the money goes back to the indicator.
`needs_new_card` marks the reasons about the card itself (closed, unknown number, lost): paying the same card
again fails the same way, so a re-issue requires the payee's active card to be another one.
"""

from dataclasses import dataclass

from django.db.models import TextChoices
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class ReturnReason(TextChoices):
    ACCOUNT_CLOSED = "R01", _("account closed")
    NAME_MISMATCH = "R02", _("name does not match the account")
    ACCOUNT_FROZEN = "R03", _("account frozen")
    ACCOUNT_NOT_FOUND = "R04", _("account number does not exist")
    HOLDER_DECEASED = "R05", _("account holder deceased")
    CARD_REPORTED_LOST = "R06", _("card reported lost")
    LIMIT_EXCEEDED = "R07", _("exceeds the account's limit")
    CARD_NOT_ACTIVATED = "R08", _("card's financial account not activated")
    OTHER = "R99", _("other reason given by the bank")


@dataclass(frozen=True)
class ReasonInfo:
    code: str
    label_zh: str  # the bank's own wording, shown as is in files, exports and the Chinese UI
    label: Promise
    reissue: bool  # a re-issue after correcting the payee's data can succeed
    needs_new_card: bool  # the card is the problem: a re-issue must go to another card
    action: Promise  # what the township clerk does next


REASONS: dict[str, ReasonInfo] = {
    info.code: info
    for info in (
        ReasonInfo("R01", "账户已销户", ReturnReason.ACCOUNT_CLOSED.label, True, True,
                   _("Get the payee's current card and re-issue to it.")),
        ReasonInfo("R02", "户名不符", ReturnReason.NAME_MISMATCH.label, True, False,
                   _("Check the name against the ID card and the bank's account name, correct it, re-issue.")),
        ReasonInfo("R03", "账户冻结", ReturnReason.ACCOUNT_FROZEN.label, True, False,
                   _("Ask the payee to have the account unfrozen, or take another card, then re-issue.")),
        ReasonInfo("R04", "账号不存在", ReturnReason.ACCOUNT_NOT_FOUND.label, True, True,
                   _("Check the card number against the card or passbook, correct it, re-issue.")),
        ReasonInfo("R05", "户主已死亡", ReturnReason.HOLDER_DECEASED.label, False, False,
                   _("Do not re-issue: return the money to the indicator and update the register.")),
        ReasonInfo("R06", "卡片挂失", ReturnReason.CARD_REPORTED_LOST.label, True, True,
                   _("Re-issue once the payee has the replacement card's number recorded.")),
        ReasonInfo("R07", "超过限额", ReturnReason.LIMIT_EXCEEDED.label, True, False,
                   _("Ask the payee to raise the account's limit or give a class-I account, then re-issue.")),
        ReasonInfo("R08", "社保卡金融账户未激活", ReturnReason.CARD_NOT_ACTIVATED.label, True, False,
                   _("Ask the payee to activate the card's financial account at the bank, then re-issue.")),
        ReasonInfo("R99", "其他", ReturnReason.OTHER.label, True, False,
                   _("Ask the bank for the reason before correcting and re-issuing.")),
    )
}
assert set(REASONS) == set(ReturnReason.values)

REASON_CODES: frozenset[str] = frozenset(REASONS)


def reason_reissuable(code: str) -> bool:
    """True when correcting the payee's data and paying again can succeed; KeyError for an unknown code."""
    return REASONS[code].reissue
