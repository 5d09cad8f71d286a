"""Identity: one ID paid under several names, and one person registered under two IDs (I1, I2)."""

from disbursement.alerts.models import Severity
from disbursement.payments.models import PaymentStatus
from disbursement.risk.base import Finding, Rule, rule
from disbursement.risk.rules._common import T, iso, person_subject, region_lowest, region_where
from disbursement.risk.sql import frame


@rule
class OneIdTwoNames(Rule):
    code = "I1"
    name = "同证异名"
    name_en = "one ID under two names"
    family = "identity"
    severity = Severity.HIGH
    needs = ("rosters",)
    defaults = {}

    def findings(self, *, thresholds, scope):
        # Lines do not keep the file's name; each payment freezes the payee's name when the roster is approved.
        region, params = region_where(scope, "p.village_id")
        rows = frame(f"""
            SELECT p.person_id, p.payee_name, p.village_id, COUNT(*) AS payments, SUM(p.amount_fen) AS amount_fen,
                   MIN(pe.id_masked) AS id_masked, MIN(pe.name) AS register_name
            FROM {T['payment']} p JOIN {T['person']} pe ON pe.id = p.person_id
            WHERE p.status <> %s AND p.person_id IN (
                SELECT person_id FROM {T['payment']} WHERE status <> %s GROUP BY person_id
                HAVING COUNT(DISTINCT payee_name) > 1){region}
            GROUP BY p.person_id, p.payee_name, p.village_id""",
                     [PaymentStatus.CANCELLED, PaymentStatus.CANCELLED, *params])
        findings = []
        for person_id, group in rows.groupby("person_id"):
            names = sorted(group["payee_name"].unique())
            if len(names) < 2:
                continue
            first = group.iloc[0]
            findings.append(Finding(
                subjects=(person_subject(person_id),),
                region_code=region_lowest(group["village_id"]),
                summary=f"同证异名：身份证 {first.id_masked} 先后以 {'、'.join(names)} 等 {len(names)} 个姓名领取",
                facts={"id_masked": first.id_masked, "names": names, "register_name": first.register_name,
                       "payments": int(group["payments"].sum())},
                amount_fen=0,
            ))
        return findings


@rule
class SamePersonTwoIds(Rule):
    code = "I2"
    name = "疑似重复人员"
    name_en = "likely the same person twice"
    family = "identity"
    severity = Severity.MEDIUM
    needs = ("register",)
    defaults = {}
    checks_roster = True

    def findings(self, *, thresholds, scope):
        region, params = region_where(scope, "pe.village_id")
        roster, roster_params = "", []
        if scope and scope.roster_id is not None:
            # Only the roster's people (through the persons' (village, name) index), never a pass over everyone.
            roster = (f" AND (name, birth_date, village_id) IN (SELECT y.name, y.birth_date, y.village_id "
                      f"FROM {T['line']} x JOIN {T['person']} y ON y.id = x.person_id WHERE x.roster_id = %s)")
            roster_params.append(scope.roster_id)
        rows = frame(f"""
            SELECT pe.id, pe.name, pe.birth_date, pe.village_id, pe.id_masked
            FROM {T['person']} pe
            JOIN (SELECT name, birth_date, village_id FROM {T['person']} WHERE 1 = 1{roster}
                  GROUP BY name, birth_date, village_id HAVING COUNT(*) > 1) d
              ON d.name = pe.name AND d.birth_date = pe.birth_date AND d.village_id = pe.village_id
            WHERE 1 = 1{region}""", [*roster_params, *params])
        findings = []
        for (name, _born, village), group in rows.groupby(["name", "birth_date", "village_id"]):
            born = iso(group.iloc[0].birth_date)
            masks = sorted(group["id_masked"])
            findings.append(Finding(
                subjects=tuple(person_subject(p) for p in sorted(group["id"])),
                region_code=village,
                summary=f"疑似重复人员：{name}（{born} 出生）在 {village} 以 {len(group)} 个身份证号登记"
                        f"（{'、'.join(masks)}）",
                facts={"name": name, "birth_date": born, "village": village, "id_masked": masks},
                amount_fen=0,
            ))
        return findings
