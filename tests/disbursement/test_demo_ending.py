"""`make demo` ends readably: its last lines are the URL and every demo user with the password, and the SMS the
demo "sends" go to a file (and the outbox), not the terminal."""

import logging
import logging.config
from io import StringIO

import pytest
from django.core.management import call_command

from backend.logconfig import logging_embedded
from disbursement.accounts.demo import DEMO_PASSWORD, DEMO_USERS
from disbursement.accounts.models import User
from disbursement.accounts.roles import Role
from disbursement.banking.services import paid_notices_enqueue
from disbursement.notifications.models import Notice
from disbursement.notifications.senders import LogSender
from disbursement.payments.models import BankFile


@pytest.mark.django_db
def test_the_demo_commands_end_with_the_url_and_every_user_with_the_password(settings, tmp_path, make_user,
                                                                             page_client):
    settings.DEBUG = True
    call_command("seed_demo_users", stdout=StringIO())
    call_command("demo_data", "--counties", "430321", "--households", "30", "--seed", "5",
                 "--roster-dir", str(tmp_path / "rosters"), "--register-dir", str(tmp_path / "registers"),
                 stdout=StringIO())
    call_command("demo_cycle", "--fail-rate", "0.1", "--seed", "5", stdout=StringIO())
    out = StringIO()

    call_command("demo_welcome", "--url", "http://127.0.0.1:8108", stdout=out)

    lines = out.getvalue().strip().splitlines()
    assert lines[0].startswith("One-card subsidy system: http://127.0.0.1:8108/ ")
    assert lines[-1] == f"password for all of them: {DEMO_PASSWORD}"
    table = lines[lines.index("") + 1:-1]
    users = list(User.objects.filter(is_active=True).values_list("username", flat=True))
    added_by_the_cycle = set(users) - {row[0] for row in DEMO_USERS}
    assert added_by_the_cycle, "the cycle adds its own officers; the table must list them too"
    assert table[0].split() == ["username", "role", "region", "name"]
    assert sorted(line.split()[0] for line in table[1:]) == sorted(users)
    # Columns line up in a terminal even with Chinese region names (two columns per character).
    assert "湘潭县" in out.getvalue()

    # The cycle's SMS are in the outbox page, read only, the number masked. (The cycle builds them after its
    # commits, which this test's transaction never reaches: build them as the embedded default does.)
    for bank_file_id in BankFile.objects.values_list("pk", flat=True):
        paid_notices_enqueue(bank_file_id=bank_file_id)
    notice = Notice.objects.order_by("pk").first()
    assert notice is not None
    outbox = page_client(make_user(Role.PROVINCE_ADMIN, "430000000000")).get("/admin/disbursement/notice/")
    assert outbox.status_code == 200
    assert notice.phone_masked in outbox.content.decode()
    assert "/admin/disbursement/notice/add/" not in outbox.content.decode()


def test_the_demo_notices_go_to_their_file_not_the_terminal(settings, tmp_path, capfd):
    notices = tmp_path / "demo-notices.log"
    logging.config.dictConfig(logging_embedded(settings.LOGGING, notice_file=str(notices), quiet_tasks=True))
    try:
        LogSender().send("13807311234", "您的补贴已发放到卡")
        logging.getLogger("celery.app.trace").info("Task disbursement.x[1] succeeded in 0.01s: None")
        for handler in logging.getLogger("disbursement.notifications").handlers:
            handler.flush()
    finally:
        logging.config.dictConfig(settings.LOGGING)
    written = notices.read_text(encoding="utf-8")
    assert "SMS to 138****1234: 您的补贴已发放到卡" in written and "13807311234" not in written
    terminal = capfd.readouterr()
    assert "SMS to" not in terminal.err + terminal.out
    assert "succeeded in" not in terminal.err + terminal.out
