"""The quality report's words in Chinese: each check's reason (``why``), kinds, severities and
figures, for Chinese auditors. The suites keep their English ``why`` (the run log and
``summary.json`` are read by engineers); the page shows the Chinese beside the check's id.

A reason with no translation here is shown as it is; ``tests/test_quality.py`` fails when the
demo's report shows one, so a new check gets its Chinese when it is added.
"""

import re

KINDS = {"expectation": "数据期望（GX）", "invariant": "全表不变式", "row rule": "逐行规则"}
SEVERITIES = {
    "ERROR": "阻断", "WARN": "警告", "QUARANTINE": "隔离", "INFO": "提示",
}  # fmt: skip
FIGURES = {
    "read": "读取", "rows": "行数", "files": "文件数", "quarantined": "隔离", "landed": "入库",
}  # fmt: skip

_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"(\S+) is required: a row without it cannot be traced", r"\1 为必填项：缺少它的行无法追溯"),
    (r"(\S+) must be one of the codes the rules know: (.*)", r"\1 须为规则已知的代码之一：\2"),
    (r"(\S+) must be on or after (\S+) and not in the future", r"\1 须不早于 \2 且不晚于今天"),
    (r"(\S+) must be on or after (\S+) and a deadline within (\d+) years",
     r"\1 须不早于 \2，且期限在 \3 年以内"),
    (r"a record key \((.*)\) appears once per partition", r"记录键（\1）在每个分区内唯一"),
    (r"(\S+) between (\S+) and the as-of date", r"\1 在 \2 至数据截止日之间"),
    (r"(\S+) as landed is 17 digits and a digit or X", r"\1 入库时为 17 位数字加一位数字或 X"),
    (r"(\S+): 18 characters with a valid GB 11643 check character; a failing number is kept but "
     r"is no evidence of identity",
     r"\1：18 位且校验码符合 GB 11643；校验不通过的号码保留，但不作为身份依据"),
    (r"one row per (.+)", r"每个 \1 一行"),
    (r"(\S+) decides who may read the profile: (.*)", r"\1 决定谁可查阅档案：\2"),
    (r"(\S+) decides who may read the profile", r"\1 决定谁可查阅档案"),
)  # fmt: skip

_EXACT = {
    "a JSON line that does not parse": "JSON 行无法解析",
    "an event date between 1949-10-01 and the as-of date": "记录日期在 1949-10-01 至数据截止日之间",
    "one row per cadre": "每名干部一行",
    "one row per cadre, unit, post and start": "每名干部、单位、职务与任职时间一行",
    "one row per grain + name": "每个画像对象（单位或行政区划）一行",
    "one row per kind + event_id": "每个问题类型 + event_id 一行",
    "a bigram Jaccard lies between 0 and 1": "二元组 Jaccard 相似度在 0 到 1 之间",
    "a cadre's ID number, where kept, is valid": "干部的公民身份号码（如保留）有效",
    "a case is tolerated, partly tolerated or refused": "案例结果为予以容错、部分容错或不予容错",
    "a clearance names its cadre": "澄清正名记录须指明干部",
    "a code outside its vocabulary": "代码不在规定取值范围内",
    "a composite score between 0 and 100": "综合得分在 0 到 100 之间",
    "a link score between 0 and 1": "关联得分在 0 到 1 之间",
    "a linked event names its cadre": "已关联的记录须指明干部",
    "a linked event points at a cadre who is in the roster (referential integrity)":
        "已关联的记录指向名册中的干部（参照完整性）",
    "a measure a 容错 decision covers (exact or confirmed in gold/tolerance_review) neither bars "
    "nor warns": "被容错认定覆盖的措施（完全匹配或在容错复核中确认）不导致暂停提拔，也不引发预警",
    "a pair is exact, confirmed, rejected or pending": "配对状态为完全匹配、已确认、已否定或待复核",
    "a petition cannot be closed before it was received": "信访件的办结日期不能早于收件日期",
    "a portrait counts the cadres it is about": "画像统计其所涉干部人数",
    "a portrait is of a unit or a region": "画像对象为单位或行政区划",
    "a post a record is compared with belongs to a cadre of the roster": "用于比对的职务属于名册中的干部",
    "a post cannot end before it began": "免职时间不能早于任职时间",
    "a post comes from the post history (S8) or the roster": "职务来自任职经历（S8）或干部名册",
    "a profile's warning level is red, yellow, blue or none": "档案的预警等级为红、黄、蓝或无",
    "a ragged CSV row (fields missing or extra)": "CSV 行字段数与表头不符（缺少或多出字段）",
    "a rank within the unit cannot exceed the unit's head count": "单位内排名不超过单位人数",
    "a record key appears once in the whole table (a repeat in another partition is the same "
    "record exported twice)": "记录键在全表唯一（在另一分区重复出现即同一记录被导出两次）",
    "a required field is empty": "必填字段为空",
    "a source does not lose more than half its rows from one run to the next unless the operator "
    "says so (dajiandu run --accept-drop SOURCE)":
        "除非操作人员说明（dajiandu run --accept-drop 来源），一个来源两次运行之间的行数减少不超过一半",
    "a sudden fall in the share of events linked to a cadre means a roster or export changed "
    "shape (renamed units, missing 人员编号)":
        "关联到干部的记录比例骤降，说明名册或导出格式发生变化（单位更名、缺少人员编号）",
    "a tolerance decision cannot precede its application": "容错认定日期不能早于申请日期",
    "a warning is raised by at least one record": "每条预警至少由一条记录引发",
    "a warning is red, yellow or blue": "预警等级为红、黄或蓝",
    "a warning names the rule that raised it": "预警须指明引发它的规则",
    "an amount that cannot be read": "金额无法识别",
    "an assessment year between 1990 and the as-of year": "考核年度在 1990 年至数据截止年之间",
    "an impossible date": "日期不存在",
    "an inconsistency is of a known kind": "不一致的类型为已知类型",
    "an overdue warning cites only unrectified findings whose deadline is before the as-of date":
        "逾期预警只引用整改时限早于数据截止日且未整改的问题",
    "an event id appears once": "记录编号唯一",
    "each case_id appears once": "每个案例编号唯一",
    "each event_id appears once": "每个记录编号唯一",
    "events come from the known sources": "记录来自已知来源",
    "events counting against are some of the events": "计入负面的记录是全部记录的一部分",
    "every cadre has a name": "每名干部都有姓名",
    "every cadre has a 人员编号": "每名干部都有人员编号",
    "every cadre is barred or not, never unknown": "每名干部是否暂停提拔均有结论",
    "every check names its cadre": "每项审查须指明干部",
    "every event has a link status": "每条记录都有关联状态",
    "every event is linked, in review or unlinked": "每条记录为已关联、待复核或未关联",
    "every event traces to its source record": "每条记录可追溯到来源记录",
    "every line of link_decisions.csv a person wrote is applied; a rejected line (bad, "
    "contradictory, unknown record or cadre, another name or region without an override) or a "
    "stale one (its record or pair is gone) decides nothing":
        "人工填写的 link_decisions.csv 每一行均已执行；被拒绝的行（格式错误、相互矛盾、记录或干部不存在、"
        "姓名或地区不符且未声明覆盖）或过期的行（记录或配对已不存在）不产生任何决定",
    "every line of tolerance_decisions.csv a person wrote is applied; a rejected line (bad, "
    "contradictory, unknown record or cadre, another name or region without an override) or a "
    "stale one (its record or pair is gone) decides nothing":
        "人工填写的 tolerance_decisions.csv 每一行均已执行；被拒绝的行（格式错误、相互矛盾、记录或干部不存在、"
        "姓名或地区不符且未声明覆盖）或过期的行（记录或配对已不存在）不产生任何决定",
    "every number of a profile is a count of the cadre's rows in gold/cadre_timeline":
        "档案中的每个数字都是该干部在 gold/cadre_timeline 中的行数",
    "every post is of a cadre": "每条任职记录都属于某名干部",
    "every post names its unit (as named then)": "每条任职记录都写明单位（当时的名称）",
    "every published case has its public id": "每个公开的案例都有公开编号",
    "every record gold cites is a record of silver/supervision_event linked to that cadre":
        "gold 引用的每条记录都是 silver/supervision_event 中关联到该干部的记录",
    "every record is linked to a cadre of the roster: an empty or vanished roster (source roster) "
    "would leave all of them unlinked":
        "每条记录都关联到名册中的干部：名册为空或缺失会使全部记录无法关联",
    "full-width or other-script digits and compatibility forms made standard (NFKC) in codes":
        "代码中的全角或其他文字的数字及兼容字符已规范化（NFKC）",
    "gold speaks only of cadres of the roster (silver/cadre)": "gold 只涉及名册中的干部（silver/cadre）",
    "no row is lost or invented between the export and the warehouse": "从导出文件到数据仓库，行数不丢失、不虚增",
    "no 公民身份号码 and no 人员编号: the row names nobody": "既无公民身份号码也无人员编号：该行无法对应到人",
    "region codes (GB/T 2260) are 6 digits": "行政区划代码（GB/T 2260）为 6 位数字",
    "region codes are 6 digits": "行政区划代码为 6 位数字",
    "upstream 容错 and 影响期截止 agree with the rules (else listed, both values, for an officer)":
        "上游的容错与影响期截止与规则计算一致（否则两值并列列入清单，交由工作人员核实）",
    "民主测评优秀率 is a share between 0 and 1": "民主测评优秀率为 0 到 1 之间的比例",
    "涉及金额（万元） is an amount and cannot be negative": "涉及金额（万元）须为金额且不能为负",
    "留党察看 lasts one or two years (纪律处分条例)": "留党察看期限为一年或两年（纪律处分条例）",
    "zero-width, BOM, bidi or control characters removed at the reader (李\u200b勇 is 李勇)":
        "读取时已去除零宽、BOM、双向或控制字符（李\u200b勇 即 李勇）",
    "files the glob matched that are no export (Office lock files ~$…, hidden files): skipped, "
    "not read": "匹配到但不是导出文件的文件（Office 锁文件 ~$…、隐藏文件）：已跳过，未读取",
    "one row per person_no + year": "每名干部（person_no）每年度一行",
    "the 督查 weight is a share between 0 and 1": "督查结果权重为 0 到 1 之间的比例",
    "a rank is within the cadres ranked": "名次不超过参与排名的人数",
    "a followed measure names its cadre": "跟踪的措施须指明干部",
    "days to go are 0 once the period is over": "影响期届满后剩余天数为 0",
    "re-use is decided, never unknown": "能否重新使用须有结论，不得为空",
    "a cadre is marked for re-use only when the period is over, the grades since qualify and no "
    "new record counts against them": "仅当影响期届满、此后年度考核等次符合、且无新的不利记录时，方标为可重新使用",
    "the composite is the annual score and the 督查 result at the weight of "
    "assessment_weighting.csv": "综合得分为年度考核得分与督查结果按 assessment_weighting.csv 所定权重加权",
}  # fmt: skip


def why_zh(text: str) -> str:
    """The Chinese of a check's reason; the text itself when none is known."""
    if text in _EXACT:
        return _EXACT[text]
    for pattern, replacement in _PATTERNS:
        if re.fullmatch(pattern, text):
            return re.sub(pattern, replacement, text)
    return text
