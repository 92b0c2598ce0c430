"""Lists as data: the UN consolidated list's XML and the domestic / internal CSV and xlsx, read
into entries or refused whole with the line and the reason."""

from __future__ import annotations

import io

import numpy as np
import pytest

from amlwatch.screening import (
    TABLE_COLUMNS,
    ListEntry,
    ListFileRejected,
    ListName,
    parse_list_csv,
    parse_list_xlsx,
    parse_un_consolidated,
)
from amlwatch.screening.lists import country_code
from amlwatch.synth.lists import generated_entries, list_csv, un_list_xml

UN_SAMPLE = b"""<?xml version="1.0" encoding="UTF-8"?>
<CONSOLIDATED_LIST dateGenerated="2026-11-30T00:00:00">
<INDIVIDUALS>
  <INDIVIDUAL>
    <DATAID>6908555</DATAID><VERSIONNUM>1</VERSIONNUM>
    <FIRST_NAME>ABU</FIRST_NAME><SECOND_NAME>MUHAMMAD</SECOND_NAME><THIRD_NAME>AL-JAWLANI</THIRD_NAME>
    <UN_LIST_TYPE>Al-Qaida</UN_LIST_TYPE><REFERENCE_NUMBER>QDi.317</REFERENCE_NUMBER>
    <LISTED_ON>2013-07-24</LISTED_ON>
    <NAME_ORIGINAL_SCRIPT>\xd8\xa3\xd8\xa8\xd9\x88</NAME_ORIGINAL_SCRIPT>
    <NATIONALITY><VALUE>Syrian Arab Republic</VALUE></NATIONALITY>
    <INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>Mohammed al-Julani</ALIAS_NAME></INDIVIDUAL_ALIAS>
    <INDIVIDUAL_ALIAS><QUALITY>Low</QUALITY><ALIAS_NAME>Al Fatih</ALIAS_NAME></INDIVIDUAL_ALIAS>
    <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>BETWEEN</TYPE_OF_DATE><FROM_YEAR>1975</FROM_YEAR><TO_YEAR>1979</TO_YEAR></INDIVIDUAL_DATE_OF_BIRTH>
    <INDIVIDUAL_DOCUMENT><TYPE_OF_DOCUMENT>Passport</TYPE_OF_DOCUMENT><NUMBER>N 012345</NUMBER></INDIVIDUAL_DOCUMENT>
  </INDIVIDUAL>
</INDIVIDUALS>
<ENTITIES>
  <ENTITY>
    <DATAID>110</DATAID><FIRST_NAME>AL-NUSRAH FRONT FOR THE PEOPLE OF THE LEVANT</FIRST_NAME>
    <UN_LIST_TYPE>Al-Qaida</UN_LIST_TYPE><REFERENCE_NUMBER>QDe.137</REFERENCE_NUMBER>
    <LISTED_ON>2014-05-14</LISTED_ON>
    <ENTITY_ALIAS><QUALITY>a.k.a.</QUALITY><ALIAS_NAME>Jabhat al-Nusrah</ALIAS_NAME></ENTITY_ALIAS>
  </ENTITY>
</ENTITIES>
</CONSOLIDATED_LIST>
"""


def test_the_un_list_reads_every_field_the_screening_uses():
    parsed = parse_un_consolidated(UN_SAMPLE, "un.xml")
    person, body = parsed.entries
    assert parsed.generated_on == "2026-11-30T00:00:00"
    assert person.ref == "QDi.317" and person.party_type == "individual"
    assert person.names[0] == ListName("ABU MUHAMMAD AL-JAWLANI")
    assert ListName("Mohammed al-Julani", "alias") in person.names
    assert ListName("Al Fatih", "weak_alias") in person.names
    assert any(n.quality == "original_script" for n in person.names)
    assert person.birth_dates == ("1975", "1976", "1977", "1978", "1979")
    assert person.nationalities == ("SYR",) and person.id_numbers == ("N 012345",)
    assert person.listed_on == "2013-07-24" and person.program == "Al-Qaida"
    assert body.party_type == "entity" and ListName("Jabhat al-Nusrah", "alias") in body.names


def test_a_generated_list_round_trips_through_xml_and_csv():
    entries = generated_entries(np.random.default_rng(1), 20, 10, 6)
    from_xml = parse_un_consolidated(un_list_xml(entries), "un.xml").entries
    from_csv = parse_list_csv(list_csv(entries), "list.csv").entries
    assert [e.digest() for e in from_csv] == [e.digest() for e in entries]
    # the UN XML has no account column: all else is the same
    no_accounts = [
        e.digest() for e in (ListEntry(**{**e.__dict__, "accounts": ()}) for e in entries)
    ]
    assert [e.digest() for e in from_xml] == no_accounts


def test_an_entrys_digest_changes_with_its_content():
    entry = generated_entries(np.random.default_rng(2), 1, 0, 0)[0]
    moved = ListEntry(**{**entry.__dict__, "birth_dates": ("1960",)})
    assert entry.digest() != moved.digest()
    assert ListEntry.from_json(entry.to_json()) == entry


@pytest.mark.parametrize(
    ("data", "line", "reason"),
    [
        (b"<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL>\n<FIRST_NAME>X</FIRST_NAME>\n</INDIVIDUALS>", 3,
         "malformed XML"),
        (b"<OTHER_LIST/>", 1, "CONSOLIDATED_LIST"),
        (b"<CONSOLIDATED_LIST><INDIVIDUALS/></CONSOLIDATED_LIST>", 1, "no INDIVIDUAL"),
        (b"<CONSOLIDATED_LIST><INDIVIDUALS>\n<INDIVIDUAL><FIRST_NAME>X</FIRST_NAME></INDIVIDUAL>"
         b"</INDIVIDUALS></CONSOLIDATED_LIST>", 2, "REFERENCE_NUMBER"),
        (b"<CONSOLIDATED_LIST><INDIVIDUALS>\n<INDIVIDUAL><REFERENCE_NUMBER>Q1</REFERENCE_NUMBER>"
         b"</INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>", 2, "no name"),
        (b"<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><REFERENCE_NUMBER>Q1</REFERENCE_NUMBER>"
         b"<FIRST_NAME>A</FIRST_NAME>\n<INDIVIDUAL_DATE_OF_BIRTH><DATE>1970-13-01</DATE></INDIVIDUAL_DATE_OF_BIRTH>"
         b"</INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>", 2, "1970-13-01"),
        (b"<CONSOLIDATED_LIST><INDIVIDUALS>"
         b"<INDIVIDUAL><REFERENCE_NUMBER>Q1</REFERENCE_NUMBER><FIRST_NAME>A</FIRST_NAME></INDIVIDUAL>"
         b"<INDIVIDUAL><REFERENCE_NUMBER>Q1</REFERENCE_NUMBER><FIRST_NAME>B</FIRST_NAME></INDIVIDUAL>"
         b"</INDIVIDUALS></CONSOLIDATED_LIST>", 0, "duplicate"),
        (b'<!DOCTYPE x [<!ENTITY a "b">]><CONSOLIDATED_LIST/>', 0, "DTD"),
    ],
)  # fmt: skip
def test_a_malformed_un_list_is_refused_with_its_line(data, line, reason):
    with pytest.raises(ListFileRejected) as refused:
        parse_un_consolidated(data, "un.xml")
    assert refused.value.line == line and reason in str(refused.value)


def test_an_unknown_country_is_reported_not_mapped():
    data = UN_SAMPLE.replace(b"Syrian Arab Republic", b"Atlantis")
    parsed = parse_un_consolidated(data, "un.xml")
    assert parsed.entries[0].nationalities == () and parsed.entries[0].unmapped == ("Atlantis",)
    assert any("Atlantis" in w for w in parsed.warnings)


def test_un_country_names_are_resolved():
    assert country_code("Iran (Islamic Republic of)") == "IRN"
    assert country_code("Democratic People's Republic of Korea") == "PRK"
    assert country_code("Viet Nam") == "VNM"


HEADER = ",".join(TABLE_COLUMNS)


@pytest.mark.parametrize(
    ("body", "line", "column", "reason"),
    [
        ("C1,person,张三,,,,,,,,,", 2, "party_type", "individual / entity"),
        ("C1,individual,,,,,,,,,,", 2, "name", "required"),
        ("C1,individual,张三,,,1970-02-30,,,,,,", 2, "birth_dates", "1970-02-30"),
        ("C1,individual,张三,,,,XXX,,,,,", 2, "nationalities", "XXX"),
        ("C1,individual,张三,,,,,,,2024-99-01,,", 2, "listed_on", "2024-99-01"),
        ("C1,individual,张三,,,,,,,,,\nC1,individual,李四,,,,,,,,,", 3, None, "duplicate"),
        ("C1,individual,张三,,,,,,,,,,extra", 2, None, "多于表头"),
    ],
)
def test_a_malformed_csv_row_refuses_the_file_with_line_and_column(body, line, column, reason):
    with pytest.raises(ListFileRejected) as refused:
        parse_list_csv(f"{HEADER}\n{body}\n".encode(), "list.csv")
    assert (refused.value.line, refused.value.column) == (line, column)
    assert reason in str(refused.value)


def test_csv_headers_and_encoding_are_checked():
    with pytest.raises(ListFileRejected, match="missing"):
        parse_list_csv(b"list_ref,name\nC1,x\n", "list.csv")
    with pytest.raises(ListFileRejected, match="unknown"):
        parse_list_csv(f"{HEADER},colour\n".encode(), "list.csv")
    with pytest.raises(ListFileRejected, match="UTF-8") as refused:
        parse_list_csv(
            f"{HEADER}\nC1,individual,".encode() + "张三".encode("gbk") + b",,,,,,,,,\n", "list.csv"
        )
    assert refused.value.line == 2
    with pytest.raises(ListFileRejected, match="empty"):
        parse_list_csv(b"", "list.csv")


def test_csv_with_bom_several_values_and_years():
    body = "C1,individual,张三,张叁;Zhang San,Z. San,1970;1971-05-06,CHN;HKG,E123;P456,6222 01,2024-01-01,涉恐,备注"
    entry = parse_list_csv(f"\ufeff{HEADER}\n{body}\n".encode(), "list.csv").entries[0]
    assert [n.quality for n in entry.names] == ["primary", "alias", "alias", "weak_alias"]
    assert entry.birth_dates == ("1970", "1971-05-06") and entry.nationalities == ("CHN", "HKG")
    assert entry.id_numbers == ("E123", "P456") and entry.accounts == ("6222 01",)


def test_xlsx_lists_read_like_csv():
    import xlsxwriter

    entries = generated_entries(np.random.default_rng(3), 5, 3, 2)
    rows = [line.split(",") for line in list_csv(entries).decode().splitlines()]
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    sheet = book.add_worksheet()
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write_string(r, c, value)
    book.close()
    parsed = parse_list_xlsx(buffer.getvalue(), "list.xlsx")
    assert [e.digest() for e in parsed.entries] == [e.digest() for e in entries]
    with pytest.raises(ListFileRejected, match="xlsx"):
        parse_list_xlsx(b"not a workbook", "list.xlsx")
