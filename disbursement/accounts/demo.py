"""Demo users, one per role, in 湘潭县 (430321) and 韶山市 (430382) of 湘潭市 — demo data only."""

from disbursement.accounts.models import User
from disbursement.accounts.roles import Role
from disbursement.accounts.services import user_create

DEMO_PASSWORD = "demo-pass-2026"

# username, role, region code, full name, department
DEMO_USERS = [
    ("province_admin", Role.PROVINCE_ADMIN, "430000000000", "省级管理员", ""),
    ("county_finance", Role.COUNTY_FINANCE, "430321000000", "湘潭县财政局", ""),
    ("county_agri", Role.COUNTY_DEPARTMENT, "430321000000", "湘潭县农业农村局", "agriculture"),
    ("county_civil", Role.COUNTY_DEPARTMENT, "430321000000", "湘潭县民政局", "civil_affairs"),
    ("township_clerk", Role.TOWNSHIP_CLERK, "430321100000", "易俗河镇经办员", ""),
    ("township_clerk_2", Role.TOWNSHIP_CLERK, "430321102000", "谭家山镇经办员", ""),
    ("supervisor", Role.SUPERVISOR, "430300000000", "湘潭市监督员", ""),
    ("shaoshan_finance", Role.COUNTY_FINANCE, "430382000000", "韶山市财政局", ""),
]


def demo_users_create() -> list[tuple[User, bool]]:
    """Create the demo users that do not exist yet; returns (user, created) for each."""
    rows = []
    for username, role, region, full_name, department in DEMO_USERS:
        existing = User.objects.filter(username=username).select_related("region").first()
        if existing:
            rows.append((existing, False))
            continue
        user = user_create(
            actor=None, username=username, password=DEMO_PASSWORD, role=role, region_code=region,
            full_name=full_name, department=department,
        )
        rows.append((user, True))
    return rows


def demo_users_all() -> list[User]:
    """Every active user of the demo database: the seeded ones and those the demo commands added (the cycle's
    county officers, for one), in role order, for the table `make demo` ends with."""
    return list(User.objects.filter(is_active=True).select_related("region").order_by("role", "username"))
