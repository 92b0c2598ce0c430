"""Chinese labels of the codes people read: the code tables of the data submission spec
(chapter 10 and the fields' own lists), the national standards it names, and amlwatch's own
lists. Every printed form, table and screen shows a code as "code label" (`labelled`).

The spec's sets of valid codes are derived from these tables (`amlwatch.submission.codes`),
so a code has a label exactly when the validator accepts it. A code a table does not hold is
printed with "（未收录代码）", never given a guessed label.
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from functools import cache

import pycountry

# the audit log's and the case histories' actions, with their fields' names
from amlwatch.audit_labels import ACTIONS as ACTIONS
from amlwatch.audit_labels import EVENT_FIELDS as EVENT_FIELDS

UNKNOWN = "（未收录代码）"

# 10.1 身份证件/证明文件类型 (GB/T 31186.3-2014)
ID_TYPES: dict[str, str] = {
    "110001": "居民身份证", "110003": "临时居民身份证", "110005": "户口簿",
    "110007": "中国人民解放军军人身份证件", "110009": "中国人民武装警察身份证件",
    "110011": "离休干部荣誉证", "110013": "军官退休证", "110015": "文职干部退休证",
    "110017": "军事院校学员证", "110019": "港澳居民往来内地通行证",
    "110021": "台湾居民来往大陆通行证", "110023": "中华人民共和国因私护照",
    "110025": "中华人民共和国因公护照", "110027": "外国护照", "110029": "外国人永久居留证",
    "119999": "其他类境内个人身份有效证件", "129999": "其他类境外个人身份有效证件",
    "610001": "全国组织机构代码", "610003": "银行机构代码", "610005": "企业法人营业执照号码",
    "610007": "国税登记证号码", "610009": "金融许可证号码",
    "610011": "基本存款账户开户登记证号码", "610013": "政府人事部门批文号码",
    "610015": "编制委员会批文号码", "610017": "政府人事部门登记证书号码",
    "610019": "编制委员会登记证书号码", "610021": "军队、武警财务部门开户证明号码",
    "610023": "社会团体登记证书号码", "610025": "民办非企业登记证书号码",
    "610027": "外地常设机构驻在地政府主管部门批文号码",
    "610029": "国家主管部门颁外国驻华机构批文号码",
    "610031": "国家登记机关颁外资企业驻华代表、办事处登记证号码",
    "610033": "主管部门颁居民、村民、社区委员会批文号码", "610035": "独立核算的附属机构批文号码",
    "610037": "主管部门批文号码", "610039": "财政部门证明号码",
    "610041": "证券投资业务许可证号码", "610043": "临时经营地工商行政管理部门批文号码",
    "610045": "企业名称预先核准通知书号码", "610047": "企业营业执照号码",
    "610049": "个体工商户营业执照号码", "610051": "地税登记证号码",
    "610053": "宗教事务管理部门的批文或证明号码", "610055": "借款合同号码",
    "610057": "国家外汇管理部门的批复文件号码", "610059": "主管部门许可证号码",
    "610061": "建筑施工及安装合同号码", "610099": "统一社会信用代码（五证合一号码）",
    "619999": "其他类境内机构代码", "629999": "其他类境外机构代码",
}  # fmt: skip

# 10.2 账户类型 (the printed table's 7-digit 1200011…1200019 are typos of 6-digit codes)
ACCOUNT_TYPES: dict[str, str] = {
    "120001": "活期储蓄账户", "120002": "活期结算账户", "120003": "定活两便账户",
    "120004": "通知存款账户", "120005": "教育储蓄账户", "120006": "零存整取账户",
    "120007": "整存零取账户", "120008": "存本取息账户", "120009": "整存整取账户",
    "120010": "定期一本通", "120011": "活期一本通", "120012": "定活一本通",
    "120013": "借记卡", "120014": "储蓄卡", "120015": "准贷记卡", "120016": "贷记卡",
    "120017": "银行卡", "120018": "贷款账户", "120019": "支票账户",
    "120020": "凭证式国债账户", "129999": "其它个人账户",
    "620001": "组织基本账户", "620002": "组织一般账户", "620003": "组织专用账户",
    "620004": "组织临时账户", "620005": "组织外汇账户", "620006": "组织通知存款账户",
    "620007": "组织定期存款账户", "620008": "组织贷款账户", "620009": "借记卡",
    "620010": "准贷记卡", "620011": "贷记卡", "620012": "银行卡",
    "620013": "注册验资临时存款户", "620014": "保证金户", "629999": "其它机构账户",
}  # fmt: skip

# 10.3 交易方式: a family (2 digits) and 4 more
RMB_CASH: dict[str, str] = {"00": "现钞", "01": "非现钞"}
RMB_TOOLS: dict[str, str] = {
    "00": "银行汇票", "01": "银行承兑汇票", "02": "商业承兑汇票", "03": "本票", "04": "支票",
    "10": "银行卡", "11": "境外银行卡（非柜台方式交易）", "12": "银行卡（通过POS）",
    "13": "银行卡（通过ATM且跨行交易）", "14": "银行卡（通过ATM且非跨行交易）",
    "15": "境外银行卡（非柜台方式交易—通过POS）", "16": "境外银行卡（非柜台方式交易—通过ATM）",
    "17": "境外银行卡（柜台方式交易）", "20": "网上支付", "21": "移动支付", "30": "现金支付",
    "31": "汇兑", "32": "托收承付", "33": "委托收款", "34": "定期借记", "35": "定期贷记",
    "36": "国内信用证", "51": "其他",
}  # fmt: skip
FOREIGN_METHODS: dict[str, str] = {
    "0001": "现金", "0002": "现金结售汇", "0003": "现钞兑换", "0004": "其他现金",
    "0005": "境外银行卡（非柜台方式现金交易）",
    "0006": "境外银行卡（非柜台方式现金交易—通过ATM）",
    "0007": "境外银行卡（柜台方式现金交易）", "0101": "信用证", "0102": "托收",
    "0103": "保函", "0104": "电汇", "0105": "票汇", "0106": "信汇", "0107": "其他非现金支付",
    "0108": "境外银行卡（非柜台方式非现金交易）",
    "0109": "境外银行卡（非柜台方式非现金交易—通过ATM）",
    "0110": "境外银行卡（非柜台方式非现金交易—通过POS）", "0111": "旅行支票",
}  # fmt: skip
REMITTANCE_METHODS: dict[str, str] = {
    "0001": "代理西联国际汇款（现金业务）", "0002": "代理速汇金国际汇款（现金业务）",
    "0003": "代理银星速汇国际汇款（现金业务）", "0004": "代理侨汇通国际汇款（现金业务）",
    "0005": "代理Paystone国际汇款（现金业务）", "0099": "代理其他公司国际汇款（现金业务）",
    "0101": "代理西联国际汇款（非现金业务）", "0102": "代理速汇金国际汇款（非现金业务）",
    "0103": "代理银星速汇国际汇款（非现金业务）", "0104": "代理侨汇通国际汇款（非现金业务）",
    "0105": "代理Paystone国际汇款（非现金业务）", "0199": "代理其他公司汇款（非现金业务）",
}  # fmt: skip
CROSS_CURRENCY_METHODS: dict[str, str] = {
    "0100": "通过人民币账户购汇并转账", "0110": "通过外币账户结汇并转账",
    "0120": "本外币间兑换并转账",
}  # fmt: skip

SPECIAL_ZONES: dict[str, str] = {
    "Z01": "中国大陆地区保税区", "Z02": "中国大陆地区加工区", "Z03": "中国大陆地区钻石交易所",
}  # fmt: skip
MATCH_NO_TYPES: dict[str, str] = {
    "01": "大小额支付系统和超级网银清算", "02": "银联清算", "03": "第三方支付机构清算",
    "04": "城市商业银行资金清算中心清算", "05": "农信银资金清算中心清算",
    "06": "其他支付清算组织清算", "11": "行内转账",
}  # fmt: skip

# the fields' own lists
DIRECTIONS = {"01": "收", "02": "付"}  # TSDR
RELATIONS = {  # RLFC
    "00": "境内金融机构开立的账户或银行卡", "01": "境外银行卡", "02": "不通过账户或银行卡",
}  # fmt: skip
CARD_TYPES = {"10": "借记卡", "20": "贷记卡", "30": "准贷记卡", "90": "其他"}  # CBCT
BANK_CODE_TYPES = {  # CFCT
    "11": "现代化支付系统行号", "12": "人民币结算账户管理系统行号", "13": "银行内部机构号",
    "14": "金融机构代码", "99": "其他",
}  # fmt: skip
CHANNELS = {  # OCTT
    "11": "网上交易", "12": "通过POS机交易", "13": "通过电话交易", "14": "通过热键机交易",
    "15": "通过ATM", "16": "通过传真交易", "17": "营业场所交易（仅针对证券期货业）", "99": "其他",
}  # fmt: skip
URGENCY = {"01": "非特别紧急", "02": "特别紧急"}  # DETR
REPORT_DIRECTIONS = {  # DORP
    "01": "报告中国反洗钱监测分析中心",
    "02": "报告中国反洗钱监测分析中心和人民银行当地分支机构",
    "03": "报告中国反洗钱监测分析中心和当地公安机关",
    "04": "报告中国反洗钱监测分析中心、人民银行当地分支机构和当地公安机关",
    "99": "报告中国反洗钱监测分析中心和其他机构",
}
TRIGGERS = {  # TPTR
    "01": "模型筛选", "02": "执法部门指令", "03": "监管部门指令", "04": "金融机构内部案件",
    "05": "社会舆情", "06": "金融机构从业人员发现的身份、行为等异常状况", "99": "其他",
}  # fmt: skip
LARGE_VALUE_CHARACTERISTICS = {  # CRCD (pboc-2016 rules, short)
    "0501": "大额现金交易", "0502": "非自然人客户大额转账", "0503": "自然人客户大额境内转账",
    "0504": "自然人客户大额跨境转账",
}  # fmt: skip

# GB/T 4754-2017 国民经济行业分类: the sections (门类), and the divisions (大类) in use here
INDUSTRY_SECTIONS = {
    "A": "农、林、牧、渔业", "B": "采矿业", "C": "制造业",
    "D": "电力、热力、燃气及水生产和供应业", "E": "建筑业", "F": "批发和零售业",
    "G": "交通运输、仓储和邮政业", "H": "住宿和餐饮业", "I": "信息传输、软件和信息技术服务业",
    "J": "金融业", "K": "房地产业", "L": "租赁和商务服务业", "M": "科学研究和技术服务业",
    "N": "水利、环境和公共设施管理业", "O": "居民服务、修理和其他服务业", "P": "教育",
    "Q": "卫生和社会工作", "R": "文化、体育和娱乐业", "S": "公共管理、社会保障和社会组织",
    "T": "国际组织",
}  # fmt: skip
INDUSTRY_DIVISIONS = {
    "C39": "计算机、通信和其他电子设备制造业", "E47": "房屋建筑业", "F51": "批发业",
    "F52": "零售业", "H61": "住宿业", "H62": "餐饮业", "I63": "电信、广播电视和卫星传输服务",
    "I64": "互联网和相关服务", "I65": "软件和信息技术服务业", "J66": "货币金融服务",
    "K70": "房地产业", "L72": "商务服务业",
}  # fmt: skip
# GB/T 6565 职业分类: the major groups (大类), coded X0000
OCCUPATIONS = {
    "10000": "国家机关、党群组织、企业、事业单位负责人", "20000": "专业技术人员",
    "30000": "办事人员和有关人员", "40000": "商业、服务业人员",
    "50000": "农、林、牧、渔、水利业生产人员", "60000": "生产、运输设备操作人员及有关人员",
    "70000": "军人", "80000": "不便分类的其他从业人员",
}  # fmt: skip

# amlwatch's own lists
CUSTOMER_TYPES = {"individual": "个人", "entity": "单位", "merchant": "特约商户"}
CASE_STATES = {
    "new": "新预警", "in_review": "审查中", "proposed": "已提交审批",
    "dismissal_proposed": "拟排除待复核", "dismissed": "已排除",
    "approved": "已批准待报告", "report_generated": "报告已生成", "submitted": "已报送",
    "accepted": "已接收", "correction_requested": "需补正", "rejected": "被拒收",
}  # fmt: skip
ACCESS_CHANGES = {  # what an access request asks for (cases.usecases.access)
    "create": "新建用户", "branches": "变更负责机构", "activate": "重新启用", "password": "重置密码",
}  # fmt: skip
FILE_PURPOSES = {  # why a regulator file was written
    "nightly": "每日大额报送", "correction": "补正/修改", "suspicious": "可疑交易报告",
    "notice answer": "人工补正通知应答", "supplement": "信息补充通知应答",
}  # fmt: skip
FILE_STATES = {  # a regulator file's place in the upload register
    "allocated": "编号已分配（未写出）", "written": "待上报", "uploaded": "已上报，待回执",
    "accepted": "已接收", "correction requested": "须补正", "error": "被拒收（错误回执）",
    "receipt mismatch": "回执与文件不符", "superseded": "已作废（重新生成）",
    # the register's other open items (stages.uploads)
    "not filed": "未生成报送文件", "held": "待补正（暂缓报送）", "report held": "报告待补正",
    "notice": "人工补正通知", "unchecked": "未核对", "data issue": "数据问题（待补正）",
}  # fmt: skip
STRUCTURE_ROLES = {"source": "来源", "intermediary": "中转", "sink": "去向", "origin": "回流方"}
RECORDS = {  # the kinds of record a retention purge counts, by their table
    "transactions": "交易记录", "customer_history": "客户身份资料（各版本）",
    "account_history": "账户资料（各版本）", "fx_rates": "汇率", "quarantine": "隔离行",
    "load_log": "装载日志", "data_issues": "数据问题", "run_log": "运行日志",
    "window_files": "窗口数据文件",
    "pattern_runs": "模式扫描日索引", "transfer_edges": "行内转账关系",
    "transfer_edge_days": "行内转账关系日索引", "large_value_transactions": "大额交易",
    "suspicious_hits": "可疑模式命中", "suspicious_alerts": "可疑预警",
    "suspicious_alert_transactions": "预警证据交易", "suspicious_evidence_detail": "预警证据明细",
    "network_hits": "资金网络结构命中", "network_hit_members": "资金网络结构成员",
    "network_hit_edges": "资金网络结构转账", "cases": "案件", "submission_files": "报送文件",
    "submission_notices": "人工补正通知", "snoozes": "暂停监测", "audit_log": "审计日志", "folders": "报告目录",
}  # fmt: skip
DOWNLOADS = {  # what a download audit entry says was taken
    "case report": "案件报告文件", "audit log view": "审计日志",
    "large-value csv": "大额交易（CSV）", "large-value xlsx": "大额交易（xlsx）",
    "attachment": "案件附件", "case list xlsx": "案件清单（xlsx）",
    "case search xlsx": "案件查询结果（xlsx）",
}  # fmt: skip
ALERT_STATUS = {"new": "新预警", "extended": "延续", "confirmed": "已确认"}
LEGS = {"scattered": "分散端", "concentrated": "集中端", "window": "窗口内交易"}
SIDES = {"in": "转入", "out": "转出"}


def tx_method(code: str) -> str | None:
    """The label of a 10.3 transaction method, or None for a code the table lacks."""
    if len(code) != 6:
        return None
    family, rest = code[:2], code[2:]
    if family == "00":
        cash, tool = RMB_CASH.get(rest[:2]), RMB_TOOLS.get(rest[2:])
        return f"人民币·{cash}·{tool}" if cash and tool else None
    table = {"01": FOREIGN_METHODS, "02": REMITTANCE_METHODS, "03": CROSS_CURRENCY_METHODS}
    name = table.get(family, {}).get(rest)
    prefix = {"01": "外币", "02": "代理国际汇款", "03": "跨币种转账"}.get(family, "")
    return f"{prefix}·{name}" if name else None


@cache
def _translation(domain: str) -> gettext.NullTranslations:
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=["zh_CN"], fallback=True)


def country(code: str) -> str | None:
    """The Chinese name of an ISO 3166 alpha-3 country (GB/T 2659)."""
    found = pycountry.countries.get(alpha_3=code.upper())
    return _translation("iso3166-1").gettext(found.name) if found else None


def currency(code: str) -> str | None:
    """The Chinese name of an ISO 4217 currency (GB/T 12406)."""
    found = pycountry.currencies.get(alpha_3=code.upper())
    return _translation("iso4217").gettext(found.name) if found else None


def region(code: str) -> str | None:
    """What a place code (TRCD, CFRC) says: the country or special zone (the 6-digit
    administrative division stays the code's own: GB/T 2260 has no table here)."""
    if len(code) != 9 or not code[3:].isdigit():
        return None
    prefix = code[:3]
    return SPECIAL_ZONES.get(prefix) or country(prefix)


def occupation_or_industry(code: str) -> str | None:
    """A CTVC / SEVC code: an industry (GB/T 4754, letter first) or an occupation (GB/T 6565)."""
    if code[:1].isalpha():
        division = INDUSTRY_DIVISIONS.get(code.upper())
        section = INDUSTRY_SECTIONS.get(code[:1].upper())
        return division or (f"{section}（门类{code[:1].upper()}）" if section else None)
    return OCCUPATIONS.get(code)


_TABLES: Mapping[str, Mapping[str, str]] = {
    "id_type": ID_TYPES,
    "account_type": ACCOUNT_TYPES,
    "special_zone": SPECIAL_ZONES,
    "match_no_type": MATCH_NO_TYPES,
    "direction": DIRECTIONS,
    "relation": RELATIONS,
    "card_type": CARD_TYPES,
    "bank_code_type": BANK_CODE_TYPES,
    "channel": CHANNELS,
    "urgency": URGENCY,
    "report_direction": REPORT_DIRECTIONS,
    "trigger": TRIGGERS,
    "characteristic": LARGE_VALUE_CHARACTERISTICS,
    "customer_type": CUSTOMER_TYPES,
    "case_state": CASE_STATES,
    "file_state": FILE_STATES,
    "file_purpose": FILE_PURPOSES,
    "alert_status": ALERT_STATUS,
    "records": RECORDS,
    "leg": LEGS,
    "side": SIDES,
}
_FUNCTIONS = {
    "tx_method": tx_method,
    "country": country,
    "currency": currency,
    "region": region,
    "occupation": occupation_or_industry,
}
# 10.6 疑似涉罪类型: code → the behaviour, shortened for pick lists
CRIME_TYPE_NAMES = {
    "0101": "毒品犯罪",
    "0201": "黑社会性质的组织犯罪",
    "0301": "恐怖活动犯罪",
    "0401": "走私犯罪",
    "0501": "贪污贿赂：行贿、受贿",
    "0502": "贪污贿赂：与公职人员或其亲属身份不符",
    "0601": "非国家工作人员商业贿赂",
    "0602": "非法关联经营",
    "0603": "组织或参与经营非法金融机构",
    "0604": "高利转贷",
    "0605": "非法套取金融机构资金",
    "0606": "非法吸收公众存款",
    "0607": "擅自发行股票、公司、企业债券",
    "0608": "内幕交易、操纵股价等证券类洗钱",
    "0609": "非法挪用、拆借资金",
    "0610": "非法跨境转移资金（例如逃汇）",
    "0701": "集资诈骗",
    "0702": "骗贷、信用证诈骗、票券诈骗等银行诈骗",
    "0703": "有价证券诈骗",
    "0704": "信用卡诈骗",
    "0705": "保险诈骗",
    "0801": "掩饰、隐瞒七类上游犯罪所得",
    "0802": "掩饰、隐瞒其他上游犯罪所得",
    "0901": "虚假注册、验资",
    "0902": "虚假出资、抽逃出资",
    "0903": "欺诈发行股票、债券",
    "1001": "逃税、避税、骗税",
    "1101": "组织、领导传销活动",
    "1102": "非法经营（地下钱庄、非法买卖外汇、套现等）",
    "1201": "诈骗（例如电信诈骗）",
    "1202": "职务侵占",
    "1203": "挪用资金、物资",
    "1301": "伪造、变造、买卖国家机关公文、证件、印章",
    "1302": "组织经营赌博或为其转移资金",
    "1401": "司法机构或行政调查已介入",
    "1402": "其他犯罪",
}

KINDS = frozenset(_TABLES) | frozenset(_FUNCTIONS) | {"crime_type"}


def name_of(kind: str, code: object) -> str | None:
    """The Chinese label of `code` in the table `kind`, None when the table lacks it."""
    if code is None:
        return None
    text = str(code).strip()
    if kind == "crime_type":
        return CRIME_TYPE_NAMES.get(text)
    if kind in _FUNCTIONS:
        return _FUNCTIONS[kind](text) if text else None
    return _TABLES[kind].get(text)


# the product's own codes, which are English words (individual, in_review, written): a person
# reads only their Chinese name; the spec's codes (0501, 110001) stand beside their labels
WORD_CODES = frozenset(
    {"customer_type", "case_state", "file_state", "file_purpose", "alert_status", "records",
     "leg", "side"}
)  # fmt: skip


def labelled(kind: str, code: object, empty: str = "") -> str:
    """A code as people read it: "code label" (a word code: its label alone); the spec's `@N`
    and nothing print `empty`."""
    if code is None or str(code).strip() in ("", "@N"):
        return empty
    text = str(code).strip()
    name = name_of(kind, text)
    if name and kind in WORD_CODES:
        return name
    return f"{text} {name}" if name else f"{text} {UNKNOWN}"


# the spec's code fields (by XML tag) and the table of `LABELS` that names their codes
TAG_KINDS = {
    "CITP": "id_type", "SETP": "id_type", "SRIT": "id_type", "SCIT": "id_type",
    "TBIT": "id_type", "TCIT": "id_type", "CATP": "account_type", "TCAT": "account_type",
    "TSTP": "tx_method", "OCTT": "channel", "TSDR": "direction", "RLFC": "relation",
    "CBCT": "card_type", "CFCT": "bank_code_type", "DETR": "urgency",
    "DORP": "report_direction", "TPTR": "trigger", "TOSC": "crime_type",
    "CRCD": "characteristic", "CRTP": "currency", "CTNT": "country", "STNT": "country",
    "TBNT": "country", "TRCD": "region", "CFRC": "region", "CTVC": "occupation",
    "SEVC": "occupation", "RPMT": "match_no_type",
}  # fmt: skip
