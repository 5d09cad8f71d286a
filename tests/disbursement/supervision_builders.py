"""A small hand-computed world for the supervision figures: two counties, a few households, payments paid, failed,
re-issued and returned, one open alert. Written straight through the ORM (the figures read tables).

湘潭县 (430321), 2026 (item 0401, monthly):
  易俗河镇 village 1: household h1 = p1 (100.00 paid), p2 (200.00 paid); p6 on the register, never paid
  易俗河镇 village 4: p3 without household (300.00 failed → re-issued → 300.00 paid)
  谭家山镇 village 6: household h2 = p4 (400.00 paid in 2026-03; 150.00 failed → returned in 2026-04)
  2025: p1 800.00 paid
  → paid 1,000.00 in 4 payments; households 3; persons reached 4; register 5; failed 2, re-issued 1, returned 1
    (150.00); one open alert (region village 1), one dismissed.
韶山市 (430382), 2026: 清溪镇 village 1: household h3 = p5 (500.00 paid); p7 on the register, never paid
  p7's 700.00 (2026-05) held by a risk alert before payment: stopped 1, 700.00
  → paid 500.00 in 1 payment; households 1; register 2; nothing in 2025.
"""

from datetime import date

from django.utils import timezone

from disbursement.alerts.models import Alert, AlertStatus
from disbursement.payments.models import Payment, PaymentStatus
from tests.disbursement import risk_builders as rb
from tests.disbursement.alert_builders import raise_alert
from tests.factories import han_name

V_YISUHE_1, V_YISUHE_4, V_TANJIASHAN_6, V_QINGXI_1 = (rb.YISUHE_VILLAGE, rb.YISUHE_VILLAGE_2, rb.TANJIASHAN_VILLAGE,
                                                      rb.QINGXI_VILLAGE)


def small_world() -> dict:
    h1, h2, h3 = rb.household(V_YISUHE_1), rb.household(V_TANJIASHAN_6), rb.household(V_QINGXI_1)
    p = {i: rb.person(han_name("孙", i), village=v, home=h) for i, v, h in (
        (1, V_YISUHE_1, h1), (2, V_YISUHE_1, h1), (3, V_YISUHE_4, None), (4, V_TANJIASHAN_6, h2),
        (5, V_QINGXI_1, h3), (6, V_YISUHE_1, None), (7, V_QINGXI_1, None))}
    yisuhe = rb.roster("0401", township=rb.township_of(V_YISUHE_1), period="2026-03")
    rb.paid_line(yisuhe, p[1], amount_fen=10_000)
    rb.paid_line(yisuhe, p[2], amount_fen=20_000)
    failed_line = rb.line(yisuhe, p[3], amount_fen=30_000)
    first = rb.payment(failed_line, status=PaymentStatus.REISSUED, settled_on=None)
    rb.payment(failed_line, status=PaymentStatus.PAID, settled_on=date(2026, 3, 20), previous=first)
    tanjiashan = rb.roster("0401", township=rb.township_of(V_TANJIASHAN_6), period="2026-03")
    rb.paid_line(tanjiashan, p[4], amount_fen=40_000, settled_on=date(2026, 3, 12))
    april = rb.roster("0401", township=rb.township_of(V_TANJIASHAN_6), period="2026-04")
    rb.payment(rb.line(april, p[4], amount_fen=15_000), status=PaymentStatus.RETURNED, settled_on=None)
    last_year = rb.roster("0401", township=rb.township_of(V_YISUHE_1), period="2025-03")
    rb.paid_line(last_year, p[1], amount_fen=80_000, settled_on=date(2025, 3, 10))
    qingxi = rb.roster("0401", township=rb.township_of(V_QINGXI_1), period="2026-03")
    rb.paid_line(qingxi, p[5], amount_fen=50_000, settled_on=date(2026, 4, 2))
    may = rb.roster("0401", township=rb.township_of(V_QINGXI_1), period="2026-05")
    held = rb.payment(rb.line(may, p[7], amount_fen=70_000), status=PaymentStatus.HELD, settled_on=None)
    Payment.objects.filter(pk=held.pk).update(held_at=timezone.now())
    open_alert = raise_alert(region_code=V_YISUHE_1, ref="open-1")
    dismissed = raise_alert(region_code=V_YISUHE_1, ref="dismissed-1")
    Alert.objects.filter(pk=dismissed).update(status=AlertStatus.DISMISSED)
    return {"persons": p, "rosters": {"yisuhe": yisuhe, "tanjiashan": tanjiashan, "april": april,
                                      "qingxi": qingxi, "last_year": last_year, "may": may},
            "open_alert": open_alert}
