"""The demo's full money cycle on the demo rosters: indicators, publicity, three approvals, bank files, the
simulated bank, reconciliation, and one failed payment corrected and re-issued. Demo data only."""

from collections import defaultdict
from datetime import date, timedelta

import numpy as np
from django.db.models import Sum
from django.utils import timezone

from disbursement.accounts.demo import DEMO_PASSWORD
from disbursement.accounts.models import User
from disbursement.accounts.roles import Role
from disbursement.accounts.services import user_create
from disbursement.banking.codes import REASONS
from disbursement.banking.services import bank_files_generate, return_file_import
from disbursement.banking.simulator import bank_simulate
from disbursement.budget.models import Indicator
from disbursement.budget.services import indicator_issue
from disbursement.payments.corrections import payment_reissue
from disbursement.payments.models import Payment, PaymentStatus
from disbursement.registry.services import card_replace
from disbursement.rosters.models import Roster, RosterStatus
from disbursement.rosters.workflow import roster_act


def _actor(username: str, role: str, region: str, department: str = "") -> User:
    user = User.objects.filter(username=username).first()
    return user or user_create(actor=None, username=username, password=DEMO_PASSWORD, role=role,
                               region_code=region, department=department, full_name=username)


def _luhn(partial: str) -> str:
    digits = [int(d) for d in reversed(partial)]
    total = sum(d if i % 2 else (2 * d - 9 if 2 * d > 9 else 2 * d) for i, d in enumerate(digits))
    return partial + str((10 - total % 10) % 10)


def demo_cycle_run(*, fail_rate: float = 0.02, seed: int = 2026, out=print) -> dict:
    today = date.today()
    rosters = list(Roster.objects.filter(status=RosterStatus.VALIDATED).select_related("item", "township")
                   .order_by("id"))
    if not rosters:
        out("no validated rosters waiting (the cycle has run already, or run demo_data first)")
        return {"rosters": 0}
    # 1. Indicators: one per item, county and year, 20 % above what its rosters need.
    need = defaultdict(int)
    for roster in rosters:
        need[(roster.item_id, roster.township_id[:6].ljust(12, "0"), int(roster.period[:4]))] += roster.total_fen
    for number, ((item, county, year), total) in enumerate(sorted(need.items()), start=1):
        if not Indicator.objects.filter(item_id=item, county_id=county, fiscal_year=year).exists():
            finance = _actor(f"finance_{county[:6]}", Role.COUNTY_FINANCE, county)
            indicator_issue(actor=finance, document_number=f"湘财预〔{year}〕{county[:6]}-{number}号", item_code=item,
                            county_code=county, fiscal_year=year, funding_level="provincial",
                            amount_fen=total * 6 // 5)
    out(f"indicators: {Indicator.objects.count()}")
    # The last roster publicised in the last item with publicity stays in its window, so the public portal's
    # village lists have something in publicity to show.
    publicised = [r for r in rosters if r.item.publicity_days]
    held_back = publicised[-1] if publicised else None
    if held_back is not None:
        rosters.remove(held_back)
        clerk = _actor(f"clerk_{held_back.township_id[:9]}", Role.TOWNSHIP_CLERK, held_back.township_id)
        roster_act(actor=clerk, roster_id=held_back.pk, action="start_publicity", notice_posted_on=today)
        out(f"roster {held_back.pk} ({held_back.item.name}, {held_back.township.name}) is left in publicity")
    # 2. Publicity, township, department and finance approval. The demo pretends each roster was published
    #    (the system clock, passed to the service as `now`) a day more than its window ago; pages and the
    #    API cannot do this.
    for roster in rosters:
        clerk = _actor(f"clerk_{roster.township_id[:9]}", Role.TOWNSHIP_CLERK, roster.township_id)
        county = roster.township_id[:6].ljust(12, "0")
        department = _actor(f"dept_{county[:6]}_{roster.item.department}", Role.COUNTY_DEPARTMENT, county,
                            roster.item.department)
        finance = _actor(f"finance_{county[:6]}", Role.COUNTY_FINANCE, county)
        if roster.item.publicity_days:
            roster_act(actor=clerk, roster_id=roster.pk, action="start_publicity",
                       now=timezone.now() - timedelta(days=roster.item.publicity_days + 1))
        roster_act(actor=clerk, roster_id=roster.pk, action="township_approve")
        roster_act(actor=department, roster_id=roster.pk, action="department_approve")
        roster_act(actor=finance, roster_id=roster.pk, action="finance_approve")
        # 3. Payment files, the simulated bank, reconciliation.
        for bank_file in bank_files_generate(actor=finance, roster_id=roster.pk):
            answer = bank_simulate(bank_file.payment_file_bytes(), fail_rate=fail_rate, seed=seed + bank_file.pk,
                                   processed=today)
            return_file_import(actor=finance, data=answer)
    # 4. One failed payment corrected (a new card) and re-issued in a follow-up file.
    failed = (Payment.objects.filter(status=PaymentStatus.FAILED).select_related("roster").order_by("id"))
    reissued = None
    for payment in failed:
        if REASONS[payment.result_code].reissue:
            roster = payment.roster
            clerk = _actor(f"clerk_{roster.township_id[:9]}", Role.TOWNSHIP_CLERK, roster.township_id)
            finance = _actor(f"finance_{roster.township_id[:6]}", Role.COUNTY_FINANCE,
                             roster.township_id[:6].ljust(12, "0"))
            rng = np.random.default_rng(seed + payment.pk)
            card_replace(actor=clerk, person_id=payment.person_id,
                         card_number=_luhn("621700" + "".join(map(str, rng.integers(0, 10, 12)))))
            reissued = payment_reissue(actor=clerk, payment_id=payment.pk)
            for bank_file in bank_files_generate(actor=finance, roster_id=roster.pk):
                return_file_import(actor=finance, data=bank_simulate(bank_file.payment_file_bytes(), fail_rate=0.0,
                                                                     seed=seed, processed=today))
            reissued.refresh_from_db()
            break
    totals = {status: Payment.objects.filter(status=status).aggregate(s=Sum("amount_fen"))["s"] or 0
              for status in PaymentStatus.values}
    counts = {status: Payment.objects.filter(status=status).count() for status in PaymentStatus.values}
    for status in PaymentStatus.values:
        if counts[status]:
            yuan = f"{totals[status] // 100}.{totals[status] % 100:02d}"
            out(f"payments {status:<9} {counts[status]:>6}  {yuan:>15} yuan")
    if reissued is not None:
        out(f"re-issued {reissued.previous.reference} ({reissued.previous.result_code}) as {reissued.reference}: "
            f"{reissued.status}")
    return {**counts, "rosters": len(rosters), "reissue": reissued.reference if reissued else None}
