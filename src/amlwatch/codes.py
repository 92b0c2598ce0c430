"""Reference code lists the data contract and the regulator's spec refer to."""

from __future__ import annotations

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

# Spec 10.1 (GB/T 31186.3-2014): identity document types used by the generator and checks.
ID_TYPES_INDIVIDUAL: dict[str, str] = {
    "110001": "居民身份证",
    "110019": "港澳居民往来内地通行证",
    "110021": "台湾居民来往大陆通行证",
    "110023": "中华人民共和国因私护照",
    "110027": "外国护照",
    "110029": "外国人永久居留证",
    "119999": "其他类境内个人身份有效证件",
    "129999": "其他类境外个人身份有效证件",
}
ID_TYPES_ENTITY: dict[str, str] = {
    "610001": "全国组织机构代码",
    "610005": "企业法人营业执照号码",
    "610047": "企业营业执照号码",
    "610049": "个体工商户营业执照号码",
    "610099": "统一社会信用代码（五证合一号码）",
    "619999": "其他类境内机构代码",
    "629999": "其他类境外机构代码",
}
