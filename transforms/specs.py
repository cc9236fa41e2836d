"""What each upstream export holds, as data: fields, their kinds, vocabularies, keys and partitions.

One :class:`SourceSpec` per source in ``SOURCES.md``. The readers use it to find and check the
header, the cleaning step to type every field, the bronze writer to partition. Vocabularies map
every spelling seen upstream to the canonical value (``不属实`` → ``不实``).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

FieldKind = Literal[
    "text", "name", "id_number", "date", "datetime", "year_month", "int", "float", "ratio",
    "amount", "enum", "bool", "counts",
]  # fmt: skip


@dataclass(frozen=True)
class FieldSpec:
    """One column of an upstream export.

    Attributes:
        name: the header as ``SOURCES.md`` spells it.
        kind: how the text is read (see ``transforms.normalize``).
        required: an empty cell is a hard error (the row goes to quarantine).
        unless: (another field, its values) where ``required`` is waived: the roster's 单位名称
            of a cadre whose 在职状态 says they left (a retired cadre has no unit).
        vocabulary: for ``enum``: every accepted spelling → canonical value.
        aliases: other spellings of the header seen upstream.
        output: the bronze column name when it differs from ``name``.
        shape: for a code: a regex its whole value must match, the regex class of the characters
            it may hold, and what it is (``a 6-digit region code``).
    """

    name: str
    kind: FieldKind = "text"
    required: bool = False
    unless: tuple[str, tuple[str, ...]] | None = None
    vocabulary: Mapping[str, str] | None = None
    aliases: tuple[str, ...] = ()
    output: str | None = None
    shape: tuple[str, str, str] | None = None

    @property
    def column(self) -> str:
        return self.output or self.name

    @property
    def form(self) -> Literal["code", "text"] | None:
        """How the readers normalise its text (``transforms.normalize.boundary_text``): codes,
        keys, numbers and dates as ``code``; names, units, posts and free text as ``text``."""
        if self.kind == "counts":
            return None
        if self.name in CODE_FIELDS or self.kind not in ("text", "name", "enum"):
            return "code"
        return "text"


@dataclass(frozen=True)
class SourceSpec:
    """One upstream source.

    Attributes:
        name: the source as the output contract names it (``petition``, ``audit`` …).
        label: its Chinese name, for messages and reports.
        fields: the columns the platform reads (others in the export are ignored).
        key: the columns that identify a record (the contract's ``source_key``).
        partition: the date column and grain bronze is partitioned by; None for a snapshot.
        protected: reporter fields dropped at extraction; only ``flag`` survives.
        flag: the column recording that a protected field was filled (``实名``).
        one_of: at least one of these must be filled (a person key).
        identity: fields that say who a row is about; rows sharing the ``key`` but differing in
            one of them are different people under one key (an export error): all are
            quarantined, never merged.
        sql_order: columns a SQL read is ordered by, for stable row numbers.
        sheet: the worksheet a workbook export keeps its rows on.
        free_text: fields a reporter may be written into (masked at extraction when ``protected``).
        masked_counts: the column counting, per row and kind, what was masked (never the values).
        versions_by_file: each file is a version of the records (a re-issued workbook), so a row
            repeated in a later file is no duplicate.
    """

    name: str
    label: str
    fields: tuple[FieldSpec, ...]
    key: tuple[str, ...]
    partition: tuple[str, Literal["month", "year"]] | None = None
    protected: tuple[str, ...] = ()
    flag: str | None = None
    one_of: tuple[str, ...] = ()
    identity: tuple[str, ...] = ()
    sql_order: tuple[str, ...] = ()
    sheet: str | None = None
    free_text: tuple[str, ...] = ()
    masked_counts: str | None = None
    versions_by_file: bool = False

    @property
    def required(self) -> tuple[str, ...]:
        """Headers that must be present in every export of this source."""
        return tuple(f.name for f in self.fields if f.required) + self.one_of


CODE_FIELDS = frozenset(
    {"人员编号", "单位代码", "行政区划代码", "被巡察单位代码", "件号", "原件号", "问题编号",
     "审计项目编号", "案例编号", "轮次", "考核周期"}
)  # fmt: skip
"""Text fields that are codes or keys: NFKC and ASCII digits at the readers' boundary."""

EARLIEST = date(1949, 10, 1)
"""No supervision record predates the founding of the PRC: an earlier date is a broken export."""
EARLIEST_BY_FIELD = {"出生年月": date(1900, 1, 1)}
"""Dates that may lie before 1949-10-01: a retired cadre's birth month."""
FUTURE_DATES = frozenset({"整改时限", "影响期截止"})
"""Dates that may lie after the as-of date: deadlines and the end of an influence period."""
FUTURE_HORIZON = timedelta(days=366 * 30)
"""How far after the as-of date such a deadline may lie."""


def date_bounds(field: FieldSpec, as_of: date) -> tuple[date, date]:
    """The plausible dates of a date field, both inclusive (a datetime: any time of those days)."""
    earliest = EARLIEST_BY_FIELD.get(field.name, EARLIEST)
    return earliest, as_of + FUTURE_HORIZON if field.name in FUTURE_DATES else as_of


def _vocab(canonical: list[str], synonyms: Mapping[str, str] | None = None) -> dict[str, str]:
    return {**{c: c for c in canonical}, **(synonyms or {})}


PETITION_RESULT = _vocab(
    ["属实", "部分属实", "不实", "查无实据", "办理中"],
    {"不属实": "不实", "基本属实": "部分属实", "部分失实": "部分属实", "正在办理": "办理中"},
)
PETITION_DISPOSAL = _vocab(
    ["谈话函询", "初步核实", "暂存待查", "予以了结", "移送"], {"函询": "谈话函询"}
)
PETITION_CHANNEL = _vocab(
    ["来信", "来访", "来电", "网络举报", "12388", "上级转办"], {"网络": "网络举报"}
)
PETITION_CATEGORY = _vocab(
    [
        "违反政治纪律",
        "违反组织纪律",
        "违反廉洁纪律",
        "违反群众纪律",
        "违反工作纪律",
        "违反生活纪律",
        "其他",
    ]
)
RECTIFICATION = _vocab(["未整改", "整改中", "已整改"], {"整改完成": "已整改", "正在整改": "整改中"})
INSPECTION_TYPE = _vocab(["巡视", "巡察"])
AUDIT_TYPE = _vocab(["经济责任审计", "专项审计", "预算执行审计"])
RESPONSIBILITY = _vocab(["直接责任", "领导责任", "主管责任"])
AUDIT_TRANSFER = _vocab(
    ["移送纪检监察机关", "移送主管部门", "否"], {"移送纪委监委": "移送纪检监察机关", "无": "否"}
)
AUDIT_TOLERANCE = _vocab(["予以容错", "不予容错", "未申请"], {"容错": "予以容错"})
ASSESSMENT_TYPE = _vocab(["年度考核", "平时考核", "专项考核", "任期考核"])
ASSESSMENT_GRADE = _vocab(
    ["优秀", "称职", "基本称职", "不称职", "不定等次", "好", "较好", "一般", "较差"],
    {"合格": "称职", "基本合格": "基本称职", "不合格": "不称职"},
)
SANCTION_CLASS = _vocab(["党纪处分", "政务处分", "组织处理", "问责"], {"政纪处分": "政务处分"})
SANCTION_MEASURE = _vocab(
    [
        "警告",
        "严重警告",
        "撤销党内职务",
        "留党察看",
        "开除党籍",
        "记过",
        "记大过",
        "降级",
        "撤职",
        "开除",
        "诫勉",
        "提醒谈话",
        "批评教育",
        "责令检查",
        "函询",
        "通报",
        "调整职务",
        "免职",
        "降职",
        "责令辞职",
        "停职检查",
    ],  # fmt: skip
    {"诫勉谈话": "诫勉", "通报批评": "通报", "党内警告": "警告", "党内严重警告": "严重警告"},
)
TOLERANCE_RESULT = _vocab(
    ["予以容错", "部分容错", "不予容错"], {"容错": "予以容错", "不容错": "不予容错"}
)
GENDER = _vocab(["男", "女"], {"男性": "男", "女性": "女"})
SCOPE = _vocab(
    ["省管", "市管", "县管"], {"省委管理": "省管", "市委管理": "市管", "县委管理": "县管"}
)
SERVICE_STATUS = _vocab(["在职", "退休", "调离", "去世"], {"离退休": "退休", "病故": "去世"})
LEFT = ("退休", "调离", "去世")
"""在职状态 of a cadre who has left: no post of theirs is open unless the post history says so,
and the roster may name no unit for them."""

ROSTER = SourceSpec(
    name="roster",
    label="干部名册",
    fields=(
        FieldSpec("人员编号", required=True),
        FieldSpec("姓名", "name", required=True),
        FieldSpec("性别", "enum", vocabulary=GENDER),
        FieldSpec("民族"),
        FieldSpec("政治面貌"),
        FieldSpec("公民身份号码", "id_number"),
        FieldSpec("出生年月", "year_month"),
        FieldSpec("单位代码"),
        FieldSpec("单位名称", required=True, unless=("在职状态", LEFT)),
        FieldSpec("现任职务"),
        FieldSpec("职级"),
        FieldSpec("管理权限", "enum", required=True, vocabulary=SCOPE),
        FieldSpec(
            "行政区划代码", shape=(r"^[0-9]{6}$", "[0-9]", "a 6-digit region code (GB/T 2260)")
        ),
        FieldSpec("任现职时间", "date"),
        FieldSpec("在职状态", "enum", vocabulary=SERVICE_STATUS),
        FieldSpec("更新时间", "datetime"),
    ),
    key=("人员编号",),
    identity=("姓名", "公民身份号码", "出生年月"),
    sql_order=("人员编号", "更新时间"),
)

POST_HISTORY = SourceSpec(
    name="post_history",
    label="任职经历",
    fields=(
        FieldSpec("人员编号", required=True),
        FieldSpec("单位代码"),
        FieldSpec("单位名称", required=True),
        FieldSpec("职务", required=True, aliases=("任职职务",)),
        FieldSpec("任职时间", "date", required=True),
        FieldSpec("免职时间", "date"),
        FieldSpec("任免文号"),
    ),
    key=("人员编号", "单位名称", "职务", "任职时间"),
    partition=("任职时间", "year"),
    sql_order=("任职时间", "人员编号", "单位名称", "职务"),
    sheet="任职经历",
)
"""S8: one row per post a cadre held (the current one included), the unit as named then. The
table has no ``更新时间`` and is read in full on every run; read in order of 任职时间 (its text)
and partitioned by its year, a new appointment or a post closed changes its year's partition only
(when the dates are written year first, as ``2021-02-01``, ``2021.2.1`` and ``2021年2月1日`` are),
so the quality suite runs on that year's rows (the others are carried over by their digest). A
new row whose date sorts before the other years (empty, an Excel serial, full-width digits)
renumbers the rows after it: their partitions are written and checked again."""

INSPECTION = SourceSpec(
    name="inspection",
    label="巡视巡察问题",
    fields=(
        FieldSpec("轮次", required=True),
        FieldSpec("类型", "enum", vocabulary=INSPECTION_TYPE),
        FieldSpec("巡察组", aliases=("巡视组",)),
        FieldSpec("被巡察单位", required=True, aliases=("被巡视单位",)),
        FieldSpec("被巡察单位代码", aliases=("被巡视单位代码",)),
        FieldSpec("问题编号", required=True),
        FieldSpec("问题类别"),
        FieldSpec("问题描述"),
        FieldSpec("责任人"),
        FieldSpec("责任人职务"),
        FieldSpec("是否移交问题线索", "bool"),
        FieldSpec("整改状态", "enum", vocabulary=RECTIFICATION),
        FieldSpec("整改时限", "date"),
        FieldSpec("反馈日期", "date"),
    ),
    key=("轮次", "问题编号"),
    partition=("轮次", "year"),
    sheet="问题清单",
    versions_by_file=True,
)

AUDIT = SourceSpec(
    name="audit",
    label="审计发现",
    fields=(
        FieldSpec("审计项目编号", required=True),
        FieldSpec("审计类型", "enum", vocabulary=AUDIT_TYPE),
        FieldSpec("被审计单位"),
        FieldSpec("被审计领导干部", "name"),
        FieldSpec("公民身份号码", "id_number"),
        FieldSpec("审计期间"),
        FieldSpec("问题编号", required=True),
        FieldSpec("问题类型"),
        FieldSpec("问题描述"),
        FieldSpec(
            "涉及金额（万元）",
            "amount",
            aliases=("涉及金额(万元)", "涉及金额"),
            output="涉及金额_万元",
        ),
        FieldSpec("责任类型", "enum", vocabulary=RESPONSIBILITY),
        FieldSpec("移送处理", "enum", vocabulary=AUDIT_TRANSFER),
        FieldSpec("容错认定", "enum", vocabulary=AUDIT_TOLERANCE),
        FieldSpec("符合改革方向", "bool"),
        FieldSpec("经集体研究", "bool"),
        FieldSpec("未造成重大不良后果", "bool"),
        FieldSpec("未发现利益输送", "bool"),
        FieldSpec("尽力避免损失", "bool"),
        FieldSpec("报告日期", "date", required=True),
    ),
    key=("审计项目编号", "问题编号"),
    partition=("报告日期", "month"),
)

PETITION = SourceSpec(
    name="petition",
    label="信访举报",
    fields=(
        FieldSpec("件号", required=True),
        FieldSpec("收件日期", "date", required=True),
        FieldSpec("来源渠道", "enum", vocabulary=PETITION_CHANNEL),
        FieldSpec("被反映人姓名", "name"),
        FieldSpec("被反映人单位"),
        FieldSpec("被反映人职务"),
        FieldSpec("被反映人身份证号", "id_number"),
        FieldSpec("问题类别", "enum", vocabulary=PETITION_CATEGORY),
        FieldSpec("问题摘要"),
        FieldSpec("处置方式", "enum", vocabulary=PETITION_DISPOSAL),
        FieldSpec("办理结果", "enum", required=True, vocabulary=PETITION_RESULT),
        FieldSpec("是否澄清正名", "bool"),
        FieldSpec("是否诬告陷害", "bool"),
        FieldSpec("重复件", "bool"),
        FieldSpec("原件号"),
        FieldSpec("办结日期", "date"),
        FieldSpec("更新时间", "datetime"),
        FieldSpec("实名", "bool"),
        FieldSpec("脱敏计数", "counts"),
    ),
    key=("件号",),
    partition=("收件日期", "month"),
    protected=("举报人姓名", "举报人联系电话", "举报人身份证号"),
    flag="实名",
    sql_order=("件号", "更新时间"),
    free_text=("问题摘要",),
    masked_counts="脱敏计数",
)

ASSESSMENT = SourceSpec(
    name="assessment",
    label="考核结果",
    fields=(
        FieldSpec("人员编号", required=True),
        FieldSpec("姓名", "name"),
        FieldSpec("考核年度", "int", required=True),
        FieldSpec("考核类型", "enum", required=True, vocabulary=ASSESSMENT_TYPE),
        FieldSpec("考核周期", required=True),
        FieldSpec("考核等次", "enum", vocabulary=ASSESSMENT_GRADE),
        FieldSpec("综合得分", "float"),
        FieldSpec("民主测评优秀率", "ratio"),
        FieldSpec("督考联动得分", "float"),
        FieldSpec("单位内排名", "int"),
        FieldSpec("单位人数", "int"),
    ),
    key=("人员编号", "考核类型", "考核周期"),
    partition=("考核年度", "year"),
    sheet="考核结果",
)

SANCTION = SourceSpec(
    name="sanction",
    label="处分与组织处理",
    fields=(
        FieldSpec("姓名", "name"),
        FieldSpec("公民身份号码", "id_number"),
        FieldSpec("人员编号"),
        FieldSpec("处理类别", "enum", required=True, vocabulary=SANCTION_CLASS),
        FieldSpec("处理措施", "enum", required=True, vocabulary=SANCTION_MEASURE),
        FieldSpec("留党察看期限", "int"),
        FieldSpec("决定日期", "date", required=True),
        FieldSpec("决定机关"),
        FieldSpec("事由"),
        FieldSpec("影响期截止", "date"),
    ),
    key=("公民身份号码", "人员编号", "处理措施", "决定日期"),
    partition=("决定日期", "month"),
    one_of=("公民身份号码", "人员编号"),
)

SIX_ELEMENTS = ("动机态度", "客观条件", "程序方法", "性质程度", "后果影响", "挽回损失")
"""The six elements (六个要件) a 容错 decision is judged on."""
FIVE_CHECKS = ("符合改革方向", "经集体研究", "未造成重大不良后果", "未发现利益输送", "尽力避免损失")
"""The audit "五个看": a finding is tolerated only when all five hold."""

TOLERANCE = SourceSpec(
    name="tolerance",
    label="容错纠错认定",
    fields=(
        FieldSpec("案例编号", required=True),
        FieldSpec("姓名", "name"),
        FieldSpec("人员编号"),
        FieldSpec("单位"),
        FieldSpec("职务"),
        FieldSpec("领域"),
        FieldSpec("事项描述"),
        FieldSpec("申请日期", "date"),
        FieldSpec("认定日期", "date", required=True),
        FieldSpec("认定机关"),
        FieldSpec("认定结果", "enum", required=True, vocabulary=TOLERANCE_RESULT),
        *(FieldSpec(element) for element in SIX_ELEMENTS),
        FieldSpec("三个区分开来"),
        FieldSpec("不予容错情形"),
        FieldSpec("纠错措施"),
        FieldSpec("可否公开", "bool"),
    ),
    key=("案例编号",),
    partition=("认定日期", "month"),
    sheet="容错纠错",
)

SPECS: dict[str, SourceSpec] = {
    spec.name: spec
    for spec in (ROSTER, POST_HISTORY, INSPECTION, AUDIT, PETITION, ASSESSMENT, SANCTION, TOLERANCE)
}

EVENT_SOURCES = ("inspection", "audit", "petition", "assessment", "sanction", "tolerance")
"""The sources whose records become supervision events (all but the roster), in report order."""
