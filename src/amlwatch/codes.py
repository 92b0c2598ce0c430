"""Reference code lists the data contract and the regulator's spec refer to."""

from __future__ import annotations

import datetime as dt

# ISO 4217 alpha-3 (GB/T 12406), active codes plus the fund / precious-metal codes banks book.
ISO_4217: frozenset[str] = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN
    BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP
    ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR
    ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD
    MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR
    PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL
    THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF
    XAG XAU XCD XCG XDR XOF XPD XPF XPT XSU XUA YER ZAR ZMW ZWG ZWL
    """.split()
)


# --- identity numbers checked against their type (10.1), where the type defines a format

_RESIDENT_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RESIDENT_CHECK = "10X98765432"  # GB 11643: ISO 7064 MOD 11-2
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, Z, S, V
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
RESIDENT_ID_TYPES = frozenset({"110001", "110003"})  # 居民身份证, 临时居民身份证
USCC_TYPES = frozenset({"610099"})  # 统一社会信用代码


def _birth_date_ok(text: str) -> bool:
    try:
        dt.datetime.strptime(text, "%Y%m%d")
    except ValueError:
        return False
    return True


def resident_id_problem(number: str) -> str | None:
    """What is wrong with a resident identity number (18 characters, GB 11643 check
    character; the 15-digit first generation accepted), or None."""
    if len(number) == 15 and number.isdigit():
        return None if _birth_date_ok("19" + number[6:12]) else "出生日期无效 / no valid birth date"
    if len(number) != 18 or not number[:17].isdigit():
        return "居民身份证号码应为18位 / a resident ID has 18 characters"
    if not _birth_date_ok(number[6:14]):
        return "出生日期无效 / no valid birth date"
    check = _RESIDENT_CHECK[
        sum(int(d) * w for d, w in zip(number[:17], _RESIDENT_WEIGHTS, strict=True)) % 11
    ]
    if number[17].upper() != check:
        return "校验码不符 / wrong check character"
    return None


def uscc_problem(code: str) -> str | None:
    """What is wrong with a unified social credit code (18 characters of GB 32100's set, with
    its check character), or None."""
    if len(code) != 18 or any(c not in _USCC_CHARS for c in code):
        return "统一社会信用代码应为18位代码字符 / 18 characters of GB 32100"
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(code[:17], _USCC_WEIGHTS, strict=True))
    if code[17] != _USCC_CHARS[(31 - total % 31) % 31]:
        return "校验码不符 / wrong check character"
    return None


def id_number_problem(id_type: str, number: str) -> str | None:
    """An ID number checked against its type where the type defines a format, or None."""
    if id_type in RESIDENT_ID_TYPES:
        return resident_id_problem(number)
    if id_type in USCC_TYPES:
        return uscc_problem(number)
    return None


def uscc_check_character(first_17: str) -> str:
    """The check character that completes a unified social credit code."""
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first_17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]
