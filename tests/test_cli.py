"""The command-line tools: seed demo and users create."""
import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import Complaint, Customer, Dealer, FeedbackCard, HotlineTicket, Order, User, Visit
from crm.models.choices import ComplaintStatus
from crm.phones import normalise_mobile
from crm.services.users import authenticate
from tests.conftest import make_dealer


@pytest.fixture(autouse=True)
def english_terminal(monkeypatch):
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def demo_password(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-pass-2026")
    return "demo-pass-2026"


def test_seed_demo_creates_a_realistic_archive(runner, demo_password):
    result = runner.invoke(args=["seed", "demo", "--customers", "120"])
    assert result.exit_code == 0, result.output
    assert count(Customer) == 120
    assert count(Dealer) >= 5
    assert len(set(db.session.scalars(select(Dealer.province)))) >= 4
    for model in (Order, Visit, Complaint, HotlineTicket, FeedbackCard):
        assert count(model) > 0, model.__name__


def test_seed_demo_gives_complaints_in_every_status(runner, demo_password):
    runner.invoke(args=["seed", "demo", "--customers", "300"])
    statuses = set(db.session.scalars(select(Complaint.status)))
    assert statuses == set(ComplaintStatus.codes())


def test_seed_demo_mobile_numbers_are_valid_mainland_numbers(runner, demo_password):
    runner.invoke(args=["seed", "demo", "--customers", "60"])
    for mobile in db.session.scalars(select(Customer.mobile)):
        assert normalise_mobile(mobile) == mobile


def test_seed_demo_twice_duplicates_nothing(runner, demo_password):
    runner.invoke(args=["seed", "demo", "--customers", "50"])
    counts = [count(m) for m in (Customer, Dealer, Order, Visit, Complaint, User)]
    result = runner.invoke(args=["seed", "demo", "--customers", "50"])
    assert result.exit_code == 0, result.output
    assert [count(m) for m in (Customer, Dealer, Order, Visit, Complaint, User)] == counts


def test_seed_demo_adds_only_the_missing_customers(runner, demo_password):
    runner.invoke(args=["seed", "demo", "--customers", "40"])
    result = runner.invoke(args=["seed", "demo", "--customers", "70"])
    assert "30 new customers (70 in all)" in result.output


def test_seed_demo_reset_starts_over(runner, demo_password):
    runner.invoke(args=["seed", "demo", "--customers", "40"])
    result = runner.invoke(args=["seed", "demo", "--customers", "10", "--reset"])
    assert result.exit_code == 0, result.output
    assert count(Customer) == 10


def test_seed_demo_creates_the_demo_users_with_demo_password(runner, demo_password):
    result = runner.invoke(args=["seed", "demo", "--customers", "5"])
    for username in ("admin", "clerk", "dealer1", "dealer2"):
        assert authenticate(username, demo_password) is not None
        assert f"{username} / {demo_password}" in result.output
    dealer1 = db.session.scalar(select(User).where(User.username == "dealer1"))
    dealer2 = db.session.scalar(select(User).where(User.username == "dealer2"))
    assert dealer1.role == dealer2.role == "dealer"
    assert dealer1.dealer_id and dealer2.dealer_id and dealer1.dealer_id != dealer2.dealer_id


def test_seed_demo_without_demo_password_prints_a_random_one(runner, monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    result = runner.invoke(args=["seed", "demo", "--customers", "5"])
    line = next(line for line in result.output.splitlines() if line.strip().startswith("admin / "))
    password = line.split(" / ", 1)[1].strip()
    assert len(password) >= 10
    assert authenticate("admin", password) is not None


def test_seed_demo_refuses_a_negative_count(runner):
    result = runner.invoke(args=["seed", "demo", "--customers", "-1"])
    assert result.exit_code != 0


def test_users_create_reads_the_password_from_standard_input(runner, app):
    result = runner.invoke(args=["users", "create", "wang", "--role", "clerk"], input="a-good-password\n")
    assert result.exit_code == 0, result.output
    user = authenticate("wang", "a-good-password")
    assert user is not None and user.role == "clerk"


def test_users_create_dealer_user_needs_an_existing_dealer(runner, app):
    make_dealer("GD-FS-001", "佛山顺德旗舰店")
    ok = runner.invoke(args=["users", "create", "d1", "--role", "dealer", "--dealer", "GD-FS-001"],
                       input="a-good-password\n")
    assert ok.exit_code == 0, ok.output
    unknown = runner.invoke(args=["users", "create", "d2", "--role", "dealer", "--dealer", "XX-000"],
                            input="a-good-password\n")
    assert unknown.exit_code != 0
    assert "XX-000" in unknown.output


def test_users_create_dealer_user_without_a_dealer_is_refused(runner, app):
    result = runner.invoke(args=["users", "create", "d1", "--role", "dealer"], input="a-good-password\n")
    assert result.exit_code != 0
    assert "--dealer" in result.output


def test_users_create_refuses_an_unknown_role(runner, app):
    result = runner.invoke(args=["users", "create", "x", "--role", "boss"], input="a-good-password\n")
    assert result.exit_code != 0
    assert "boss" in result.output
    assert count(User) == 0


def test_users_create_refuses_a_taken_username(runner, app):
    runner.invoke(args=["users", "create", "wang", "--role", "clerk"], input="a-good-password\n")
    result = runner.invoke(args=["users", "create", "Wang", "--role", "clerk"], input="a-good-password\n")
    assert result.exit_code != 0
    assert "taken" in result.output
    assert count(User) == 1


def test_users_create_refuses_a_short_password(runner, app):
    result = runner.invoke(args=["users", "create", "wang", "--role", "clerk"], input="short\n")
    assert result.exit_code != 0
    assert count(User) == 0


def test_command_messages_follow_the_terminals_language(runner, app, monkeypatch):
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    result = runner.invoke(args=["users", "create", "d1", "--role", "dealer"], input="a-good-password\n")
    assert "经销商用户必须属于一个经销商" in result.output


def test_seed_demo_complaints_have_deadlines(runner, demo_password):
    runner.invoke(args=["seed", "demo", "--customers", "100"])
    assert db.session.scalar(select(func.count()).select_from(Complaint)
                             .where(Complaint.first_response_due_at.is_(None))) == 0
