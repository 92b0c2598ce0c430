"""List screening (名单监测): lists as data, name forms and scores. Pure: no I/O.

`lists` parses the UN consolidated list and the domestic and internal lists, `names` works out
a name's forms (simplified / traditional, pinyin, Wade-Giles, Cantonese, transliterations),
`score` says how alike a party and an entry are and why, `match` finds the pairs to score.
"""

from amlwatch.screening.exceptions import ListFileRejected, ScreeningError
from amlwatch.screening.lists import (
    LIST_NAMES,
    TABLE_COLUMNS,
    ListEntry,
    ListName,
    ParsedList,
    parse_list_csv,
    parse_list_xlsx,
    parse_un_consolidated,
)
from amlwatch.screening.match import SUBJECT_KINDS, ListIndex, Match, Subject, Thresholds
from amlwatch.screening.names import birth_date_of_resident_id, name_forms
from amlwatch.screening.score import REASONS

__all__ = [
    "LIST_NAMES",
    "REASONS",
    "SUBJECT_KINDS",
    "TABLE_COLUMNS",
    "ListEntry",
    "ListFileRejected",
    "ListIndex",
    "ListName",
    "Match",
    "ParsedList",
    "ScreeningError",
    "Subject",
    "Thresholds",
    "birth_date_of_resident_id",
    "name_forms",
    "parse_list_csv",
    "parse_list_xlsx",
    "parse_un_consolidated",
]
