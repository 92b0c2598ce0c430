"""What the review app's pages say is Chinese: every action the code records has its words,
an action's record reads as words with codes beside labels, times are Beijing time, people
are shown by name."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

from amlwatch import labels
from amlwatch.web.present import action_name, clock, day, detail_text, person, target_name

SRC = Path(__file__).resolve().parents[2] / "src" / "amlwatch"
# where an action is recorded: the call and the position of its action argument
_RECORDERS = {"audit": 2, "add_event": 3, "_transition": 5, "_move": 4, "_screening_move": 3}


def _recorded_actions() -> set[str]:
    """Every action the code can record: the text given to a recorder, or to a variable the
    recorder is then given (`action`, `verdict`, the seal names)."""
    found: set[str] = set()
    for path in [*(SRC / "cases").rglob("*.py"), *(SRC / "stages").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            values: list[ast.AST] = []
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in _RECORDERS and len(node.args) > _RECORDERS[name]:
                    values.append(node.args[_RECORDERS[name]])
            elif isinstance(node, ast.Assign):
                targets = {
                    n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)
                }
                if targets & {"action", "verdict", "CASE_SEAL", "USER_SEAL"}:
                    values.append(node.value)
            for value in values:
                parts = list(ast.walk(value))
                fstrings = [p for p in parts if isinstance(p, ast.JoinedStr)]
                for part in fstrings:  # f"snooze {state}": the states it is given
                    head = "".join(str(v.value) for v in part.values if isinstance(v, ast.Constant))
                    found.update(f"{head}{state}" for state in ("active", "rejected"))
                if not fstrings:
                    found.update(
                        p.value
                        for p in parts
                        if isinstance(p, ast.Constant) and isinstance(p.value, str)
                    )
    return found


def test_every_recorded_action_has_chinese_words() -> None:
    actions = _recorded_actions()
    assert {"review started", "dismissed", "case viewed", "download"} <= actions  # the scan works
    assert sorted(actions - labels.ACTIONS.keys()) == []


def test_an_action_no_table_holds_shows_its_code_and_says_so() -> None:
    assert action_name("review started") == "开始审查"
    assert action_name("something new") == "something new（未收录代码）"


def test_an_actions_record_reads_as_words_with_codes_beside_labels() -> None:
    text = detail_text({"state": "in_review", "snoozed": False, "crime_types": ["0802", "0101"]})
    crime = labels.CRIME_TYPE_NAMES
    assert text == (
        f"状态：审查中；暂停监测中：否；疑似涉罪类型：0802 {crime['0802']}、0101 "
        f"{crime.get('0101', labels.UNKNOWN)}"
    )
    assert detail_text({}) == ""


def test_every_field_a_record_holds_has_a_name() -> None:
    keys: set[str] = set()
    for path in (SRC / "cases").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in _RECORDERS:
                    keys.update(k.arg for k in node.keywords if k.arg)
                    for k in node.keywords:
                        if k.arg == "detail" and isinstance(k.value, ast.Dict):
                            keys.update(
                                str(c.value) for c in k.value.keys if isinstance(c, ast.Constant)
                            )
    assert sorted(keys - labels.EVENT_FIELDS.keys()) == []


def test_times_are_beijing_time() -> None:
    utc = dt.datetime(2026, 12, 2, 23, 30, tzinfo=dt.UTC)
    assert day(utc) == clock(utc) == "2026-12-03 07:30:00"
    # the product's clock writes server-local times without a zone: shown in Beijing time
    server = utc.astimezone().replace(tzinfo=None)
    assert clock(server) == "2026-12-03 07:30:00"
    # a booking time of the bank's data is China local time already: shown as it is
    assert day(dt.datetime(2026, 12, 2, 23, 30)) == "2026-12-02 23:30:00"
    assert day(dt.date(2026, 12, 2)) == "2026-12-02"  # a business date is not a time


def test_people_by_name_login_beside() -> None:
    people = {"liaison1": "张三"}
    assert person("liaison1", people) == "张三（liaison1）"
    assert person("system", people) == "系统（自动）"
    assert person("gone", people) == "gone"


def test_an_audit_entrys_object_in_words() -> None:
    assert target_name("case:12") == "案件 12"
    assert target_name("audit") == "审计日志"


def test_roles_and_downloads_in_words() -> None:
    assert detail_text({"role": "auditor"}) == "角色：审计员"
    assert detail_text({"what": "case report"}) == "内容：案件报告文件"
    assert target_name("large-value:2026-11-20") == "大额交易 2026-11-20"


def test_the_money_flow_counts_every_counterparty_not_the_boxes() -> None:
    from amlwatch.web.svg import money_flow

    evidence = [
        {"direction_code": "02", "counterparty_name": f"公司{i}", "amount_cny": "100"}
        for i in range(30)
    ] + [{"direction_code": "01", "counterparty_name": "来源", "amount_cny": "3000"}]
    picture = money_flow("客户", evidence)
    assert "转出 30 方" in picture and "转入 1 方" in picture
    assert "其他 23 个交易对手" in picture  # 7 drawn, the rest in one box


def test_an_amount_reads_the_same_on_screen_as_on_paper() -> None:
    from amlwatch.web.present import money

    assert money("35768.191") == "35,768.191"  # as the PDF, the XML and the CSV have it
    assert money("35768.190") == "35,768.19"
    assert money(200100) == "200,100.00"


def test_a_history_names_people_and_notes_not_logins_and_numbers() -> None:
    people = {"liaison1": "李联络"}
    assert detail_text({"note": 1, "file": "a.pdf"}, people) == "调查记录：第 1 条；附件：a.pdf"
    assert detail_text({"to": "liaison1"}, people) == "分派给：李联络（liaison1）"
    assert detail_text({"kind": "create"}) == "类别：新建用户"  # no English word on the page
    assert detail_text({"note": "同意上报"}) == "意见：同意上报"


def test_a_branch_shows_its_name_beside_its_code() -> None:
    from amlwatch.web.present import branch

    assert branch("B001", {"B001": "北京分行营业部"}) == "B001 北京分行营业部"
    assert branch("B009", {"B001": "北京分行营业部"}) == "B009"
